import { ApiKeys } from './api-keys.tsx';
import { RetentionSettings } from './retention.tsx';
import '../add-host/add-host.css';

/**
 * `/org`: the organisation's API keys and retention, with the account pages (members,
 * sessions, audit) one link away in the same navigation.
 */
export function OrgPage(_props: object) {
  return (
    <main class="page org-page">
      <h1>Organisation</h1>
      <nav aria-label="Organisation pages" class="card org-links">
        <ul>
          <li>
            <a href="/members">Members and invitations</a>
          </li>
          <li>
            <a href="/sessions">Your sessions</a>
          </li>
          <li>
            <a href="/audit">Audit log</a>
          </li>
          <li>
            <a href="/add-host">Add a host (enrollment tokens)</a>
          </li>
        </ul>
      </nav>
      <ApiKeys />
      <RetentionSettings />
    </main>
  );
}
