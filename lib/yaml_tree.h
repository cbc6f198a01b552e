/*
 * yaml_tree.h - a small YAML document tree, built with libyaml's event parser, that the
 * config loader and the revision-header parser walk. Every node keeps its line so that
 * errors can point at the exact place in the file.
 */
#ifndef RETORT_YAML_TREE_H
#define RETORT_YAML_TREE_H

#include <stddef.h>

enum rt_ykind { RT_Y_SCALAR, RT_Y_SEQ, RT_Y_MAP };

struct rt_ynode {
	enum rt_ykind kind;
	int line;          /* 1-based line in the file */
	char *value;       /* scalars: the text */
	int plain;         /* scalars: written without quotes (so "null" differs from null) */
	struct rt_ynode **items; /* sequences: the items; mappings: key, value, key, value, ... */
	size_t n;          /* number of entries in items */
};

/* Parses one YAML document. base_line is the file line of text[0]. Aliases, several
 * documents, duplicate keys, non-scalar keys and nesting deeper than 32 are RT_EINPUT
 * naming path and line. An empty document gives *out == NULL. */
int rt_yaml_parse(const char *path, const char *text, size_t len, int base_line,
                  struct rt_ynode **out);
void rt_ynode_free(struct rt_ynode *n);
/* yaml_flat.c: the fast path for flat documents. 1 with *out set, 0 when the text is
 * outside the subset it handles (use libyaml), or RT_ENOMEM. */
/* The same as rt_yaml_parse, always through libyaml (for tests of the fast path). */
int rt_yaml_parse_libyaml(const char *path, const char *text, size_t len, int base_line,
                          struct rt_ynode **out);
int rt_yaml_parse_flat(const char *text, size_t len, int base_line, struct rt_ynode **out);

/* 1 when the scalar is a YAML null: empty plain, ~, null, Null, NULL. */
int rt_ynode_is_null(const struct rt_ynode *n);
/* Parses a YAML boolean scalar (true/false/yes/no/on/off, any case); RT_EINPUT otherwise. */
int rt_ynode_bool(const struct rt_ynode *n, const char *path, const char *key, int *out);
/* A name for the node's kind, for messages: "a string", "a list", "a mapping". */
const char *rt_ynode_kind_name(const struct rt_ynode *n);

#endif
