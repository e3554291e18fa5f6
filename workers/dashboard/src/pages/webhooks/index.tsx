/** The notification channel pages: the list (`/webhooks`) and one channel with its delivery log. */
export { WebhooksPage } from './webhooks-page.tsx';
export { WebhookPage } from './webhook-page.tsx';
