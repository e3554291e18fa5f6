export { TrendLogPage } from './trend-log-page.tsx';
export { TrendLogsPage } from './trend-logs-page.tsx';
