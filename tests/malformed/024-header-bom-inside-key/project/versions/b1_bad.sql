/*
revision: b1
down_revision: a2
mes﻿sage: x
*/

-- retort:upgrade
SELECT 1;
