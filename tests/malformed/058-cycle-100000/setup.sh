# generates this case's input at test time
set -e
awk 'BEGIN { for (i = 0; i < 100000; i++) { f = sprintf("versions/c%06d_cyc.sql", i); printf "/*\nrevision: c%06d\ndown_revision: c%06d\n*/\n-- retort:upgrade\nSELECT 1;\n", i, (i + 99999) % 100000 >f; close(f) } }'
