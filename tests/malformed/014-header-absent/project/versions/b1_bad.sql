-- retort:upgrade
CREATE TABLE t (id int);
