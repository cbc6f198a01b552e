# generates this case's input at test time
set -e
awk 'BEGIN { printf "/*\nrevision: b1\ndown_revision: a2\nmessage: big\n*/\n\n-- retort:upgrade\n"; for (i = 0; i < 240000; i++) printf "INSERT INTO t_a1 VALUES (%d); -- %052d\n", i + 1000, i; printf "SELECT \047never closed;\n" }' >versions/b1_bad.sql
