/** Example values of the members and invitations routes' documentation. */

export const ORG_ID = 'org_01JD5V7K';
export const USER_ID = 'usr_01JD5W2P';
export const OWNER_ID = 'usr_01JD5V7M';
export const INVITATION_ID = 'inv_01JD5Y4Q';
export const INVITATION_TOKEN = 'ewi_Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5';

export const memberExample = {
  userId: USER_ID,
  email: 'grace@example.com',
  name: 'Grace',
  role: 'member',
  joinedAt: 1795000000000,
} as const;

export const ownerExample = {
  userId: OWNER_ID,
  email: 'ada@example.com',
  name: 'Ada',
  role: 'owner',
  joinedAt: 1794000000000,
} as const;

export const invitationExample = {
  id: INVITATION_ID,
  email: 'linus@example.com',
  role: 'viewer',
  invitedBy: OWNER_ID,
  createdAt: 1795000000000,
  expiresAt: 1795604800000,
  status: 'pending',
} as const;
