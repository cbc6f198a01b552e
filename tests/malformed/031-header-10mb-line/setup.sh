# generates this case's input at test time
set -e
awk 'BEGIN { printf "/*\nrevision: b1\ndown_revision: a2\nmessage: "; for (i = 0; i < 163840; i++) printf "%064d", i; printf "\n*/\n-- retort:upgrade\nSELECT 1;\n" }' >versions/b1_bad.sql
