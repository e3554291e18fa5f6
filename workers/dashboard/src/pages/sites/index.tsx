export { PointHistoryPage } from './point-history.tsx';
export { SitePage } from './site-page.tsx';
export { SitesPage } from './sites-page.tsx';
