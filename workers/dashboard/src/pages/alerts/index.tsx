/** The alert pages: incidents (`/alerts`), rules, the rule editor, one incident, silences. */
export { IncidentsPage } from './incidents-page.tsx';
export { IncidentPage } from './incident-page.tsx';
export { AlertRulesPage } from './rules-page.tsx';
export { AlertRulePage } from './rule-page.tsx';
export { SilencesPage } from './silences-page.tsx';
