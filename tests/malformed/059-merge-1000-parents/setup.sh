# generates this case's input at test time
set -e
awk 'BEGIN { for (i = 0; i < 1000; i++) { f = sprintf("versions/r%04d_root.sql", i); printf "/*\nrevision: r%04d\ndown_revision: null\n*/\n-- retort:upgrade\nSELECT 1;\n", i >f; close(f); list = list ", r" sprintf("%04d", i) } printf "/*\nrevision: m1\ndown_revision: [a2%s]\n*/\n-- retort:upgrade\n", list >"versions/m1_merge.sql" }'
