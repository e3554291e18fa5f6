/** Placeholder until this page is built: the app core routes to it already. */
export function EventsPage(_props: object) {
  return <main class="page" aria-busy="true" />;
}
