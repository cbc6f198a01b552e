/*
revision: 1f212ac0761b
down_revision: 003d21d206de
message: normalise customer emails to lower case
create_date: 2026-03-09T10:00:00Z
*/

-- Irreversible on purpose: there is no downgrade section. The original spelling of
-- each address ('Alice@Example.COM ') is not kept anywhere, so it cannot be restored.
-- Downgrading through this revision fails before anything runs; to go below it, stamp
-- past it (retort stamp 1f212ac0761b-1): the lower-cased addresses stay, which every
-- older revision accepts.

-- retort:upgrade
UPDATE customers
   SET email = lower(trim(email))
 WHERE email <> lower(trim(email));

UPDATE customers
   SET billing_email = lower(trim(billing_email))
 WHERE billing_email <> lower(trim(billing_email));
