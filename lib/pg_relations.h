/*
 * pg_relations.h - the tables a PostgreSQL statement touches, as text for messages.
 */
#ifndef RETORT_PG_RELATIONS_H
#define RETORT_PG_RELATIONS_H

/* "table \"s\".\"t\"" or "tables \"a\", \"b\" or \"c\"", or NULL when the statement names
 * none or cannot be parsed. The caller frees it. */
char *rt_pg_relations_text(const char *sql);

#endif
