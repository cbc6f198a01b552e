/*
- revision
- b1
*/

-- retort:upgrade
SELECT 1;
