# generates this case's input at test time
set -e
mkdir versions/b1_dir.sql
