/** Placeholder until this page is built: the app core routes to it already. */
export function DevicePage(_props: { id: string }) {
  return <main class="page" aria-busy="true" />;
}
