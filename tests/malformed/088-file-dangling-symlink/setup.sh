# generates this case's input at test time
set -e
ln -s ../nowhere.sql versions/b1_gone.sql
