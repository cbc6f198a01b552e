# generates this case's input at test time
set -e
awk 'BEGIN { printf "/*\nrevision: b1\ndown_revision: a2\n"; for (i = 0; i < 262144; i++) printf "# %077d\n", i }' >versions/b1_bad.sql
