/*
just a comment about this migration
*/

-- retort:upgrade
SELECT 1;
