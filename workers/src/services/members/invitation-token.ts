import { randomToken } from '../credentials/crypto.ts';

/** An invitation link's secret: `ewi_` and 32 random bytes. Only its SHA-256 is stored. */
export const newInvitationToken = () => `ewi_${randomToken(32)}`;

/** Whether `s` has the shape of an invitation token (anything else cannot match a stored hash). */
export const isInvitationToken = (s: string) => /^ewi_[A-Za-z0-9_-]{20,100}$/.test(s);

/** The link shown to the inviter: the dashboard's accept page, on the origin the request came to. */
export const invitationUrl = (requestUrl: string, token: string) => `${new URL(requestUrl).origin}/#/invite/${token}`;
