-- Admin rights need an operator's confirmation (`gateway admin grant EMAIL`) on top of the
-- account's email being listed in ADMIN_EMAILS: emails are not verified, so a listed
-- address alone grants nothing.
-- depends: 0001_accounts

ALTER TABLE accounts ADD COLUMN admin_confirmed_at timestamptz;
