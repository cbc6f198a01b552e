/*
revision: b1
down_revision: a2
message: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
create_date: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
branch_labels: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
depends_on: [*c,*c,*c,*c,*c,*c,*c,*c,*c]
*/

-- retort:upgrade
SELECT 1;
