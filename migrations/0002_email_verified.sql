-- depends: 0001_accounts
-- When the account's e-mail address was checked (the link of the verification e-mail).

ALTER TABLE accounts ADD COLUMN email_verified_at timestamptz;
