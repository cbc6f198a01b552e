/*
 * yaml_flat.c - a fast path for the flat YAML that revision headers almost always are:
 * one "key: value" per line, values that are plain scalars, simple double-quoted
 * strings, or flow lists of plain words ([a, b]). Graph commands read the header of
 * every revision, and starting libyaml for each one dominated their cost.
 *
 * It either builds exactly the tree libyaml would, or declines (returns 0) at the first
 * thing outside that subset — indentation, tabs, non-ASCII bytes, anchors, block
 * scalars, unusual escapes, duplicate keys — and rt_yaml_parse() falls back to libyaml,
 * which also produces the error messages.
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "yaml_tree.h"

static struct rt_ynode *scalar(const char *s, size_t n, int line, int plain)
{
	struct rt_ynode *node = rt_calloc(1, sizeof(*node));
	if (!node)
		return NULL;
	node->kind = RT_Y_SCALAR;
	node->line = line;
	node->plain = plain;
	if (!(node->value = rt_strndup(s, n))) {
		free(node);
		return NULL;
	}
	return node;
}

static int push(struct rt_ynode *parent, size_t *cap, struct rt_ynode *child)
{
	if (!child)
		return RT_ENOMEM;
	if (rt_grow_array(&parent->items, cap, parent->n + 1, sizeof(*parent->items)) < 0) {
		rt_ynode_free(child);
		return RT_ENOMEM;
	}
	parent->items[parent->n++] = child;
	return 0;
}

static int word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
	       c == '.' || c == '-';
}

/* Bytes that may not start a plain scalar, or that make a scalar worth leaving to libyaml. */
static int plain_start_ok(char c)
{
	return !strchr("-?:,[]{}#&*!|>'\"%@`", c);
}

/* After a value: only blanks, or blanks then a comment. */
static int rest_is_comment(const char *p, const char *end)
{
	while (p < end && *p == ' ')
		p++;
	return p == end || *p == '#';
}

/* Parses the value of one line [p, end) into *out; 0 to decline, 1 on success. */
static int parse_value(const char *p, const char *end, int line, struct rt_ynode **out)
{
	*out = NULL;
	while (p < end && *p == ' ')
		p++;
	if (p == end || *p == '#') /* empty: a plain null */
		return (*out = scalar("", 0, line, 1)) ? 1 : RT_ENOMEM;
	if (*p == '[') {
		struct rt_ynode *seq = rt_calloc(1, sizeof(*seq));
		size_t cap = 0;
		if (!seq)
			return RT_ENOMEM;
		seq->kind = RT_Y_SEQ;
		seq->line = line;
		for (p++;;) {
			const char *w;
			while (p < end && *p == ' ')
				p++;
			if (p < end && *p == ']' && seq->n == 0)
				break;
			for (w = p; p < end && word_char(*p); p++)
				;
			if (p == w || !plain_start_ok(*w) || *w == '.') {
				rt_ynode_free(seq);
				return 0;
			}
			if (push(seq, &cap, scalar(w, (size_t)(p - w), line, 1)) < 0) {
				rt_ynode_free(seq);
				return RT_ENOMEM;
			}
			while (p < end && *p == ' ')
				p++;
			if (p < end && *p == ',') {
				p++;
				continue;
			}
			if (p < end && *p == ']')
				break;
			rt_ynode_free(seq);
			return 0;
		}
		if (!rest_is_comment(p + 1, end)) {
			rt_ynode_free(seq);
			return 0;
		}
		*out = seq;
		return 1;
	}
	if (*p == '"') {
		struct rt_buf b = RT_BUF_INIT;
		for (p++; p < end && *p != '"'; p++) {
			char c = *p;
			if (c == '\\') {
				if (++p == end)
					break;
				c = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p;
				if (!strchr("nt\\\"/", *p)) {
					rt_buf_release(&b);
					return 0;
				}
			}
			if (rt_buf_putc(&b, c) < 0) {
				rt_buf_release(&b);
				return RT_ENOMEM;
			}
		}
		if (p == end || !rest_is_comment(p + 1, end)) {
			rt_buf_release(&b);
			return 0;
		}
		*out = scalar(b.ptr, b.len, line, 0);
		rt_buf_release(&b);
		return *out ? 1 : RT_ENOMEM;
	}
	if (!plain_start_ok(*p))
		return 0;
	{
		const char *v = p, *last = p;
		for (; p < end; p++) {
			if (*p == ':' && (p + 1 == end || p[1] == ' '))
				return 0; /* looks like a nested mapping */
			if (*p == '#' && p[-1] == ' ')
				break;
			if (*p != ' ')
				last = p + 1;
		}
		return (*out = scalar(v, (size_t)(last - v), line, 1)) ? 1 : RT_ENOMEM;
	}
}

int rt_yaml_parse_flat(const char *text, size_t len, int base_line, struct rt_ynode **out)
{
	struct rt_ynode *root;
	const char *p = text, *end = text + len;
	size_t cap = 0;
	int line = base_line, rc = 1;

	*out = NULL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c >= 0x7f || c == '\t' || c == '\0' || (c < 0x20 && c != '\n' && c != '\r'))
			return 0;
	}
	if (!(root = rt_calloc(1, sizeof(*root))))
		return RT_ENOMEM;
	root->kind = RT_Y_MAP;
	for (; p < end && rc > 0; line++) {
		const char *eol = memchr(p, '\n', (size_t)(end - p)), *k = p, *lend;
		struct rt_ynode *value;
		if (!eol)
			eol = end;
		lend = eol > p && eol[-1] == '\r' ? eol - 1 : eol;
		if (memchr(p, '\r', (size_t)(lend - p))) {
			rc = 0;
			break;
		}
		if (lend == p || *p == '#' || rest_is_comment(p, lend)) {
			p = eol + (eol < end);
			continue;
		}
		while (k < lend && ((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') || *k == '_' ||
		                    (k > p && *k >= '0' && *k <= '9')))
			k++;
		if (k == p || k == lend || *k != ':' || (k + 1 < lend && k[1] != ' ')) {
			rc = 0;
			break;
		}
		for (size_t i = 0; i < root->n; i += 2)
			if (strlen(root->items[i]->value) == (size_t)(k - p) &&
			    strncmp(root->items[i]->value, p, (size_t)(k - p)) == 0)
				rc = 0; /* duplicate key: libyaml's path reports it */
		if (rc <= 0)
			break;
		if (root->n == 0)
			root->line = line;
		if ((rc = parse_value(k + 1, lend, line, &value)) <= 0)
			break;
		if ((rc = push(root, &cap, scalar(p, (size_t)(k - p), line, 1))) < 0) {
			rt_ynode_free(value);
			break;
		}
		if ((rc = push(root, &cap, value)) < 0)
			break;
		rc = 1;
		p = eol + (eol < end);
	}
	if (rc <= 0 || root->n == 0) {
		rt_ynode_free(root);
		return rc < 0 ? rc : 0;
	}
	*out = root;
	return 1;
}
