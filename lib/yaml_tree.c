/*
 * yaml_tree.c - builds struct rt_ynode trees from libyaml events (see yaml_tree.h).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>
#include "internal.h"
#include "yaml_tree.h"

#define MAX_DEPTH 32

struct ctx {
	yaml_parser_t parser;
	const char *path;
	int base_line;
	const char *text;
	size_t len;
	/* a cursor for turning libyaml's character indexes into file lines: marks come in
	 * increasing order, so each conversion continues where the last one stopped */
	size_t cur_chars, cur_byte;
	int cur_line;
	int last_line; /* the file line of the text's last line: no mark is put past it */
};

void rt_ynode_free(struct rt_ynode *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++)
		rt_ynode_free(n->items[i]);
	free(n->items);
	free(n->value);
	free(n);
}

/* Lines as the rest of retort counts them: a line ends at "\n". libyaml also breaks lines
 * at a lone CR, NEL, U+2028 and U+2029, which would shift every line number after them. */
static int breaks_line(const struct ctx *c, size_t i)
{
	return c->text[i] == '\n';
}

/* The file line of the character at index (libyaml counts characters, not bytes). */
static int line_of_index(struct ctx *c, size_t index)
{
	if (index < c->cur_chars) {
		c->cur_chars = c->cur_byte = 0;
		c->cur_line = 0;
	}
	while (c->cur_byte < c->len) {
		unsigned char b = (unsigned char)c->text[c->cur_byte];
		if ((b & 0xC0) != 0x80) {
			if (c->cur_chars == index)
				break;
			c->cur_chars++;
		}
		if (breaks_line(c, c->cur_byte))
			c->cur_line++;
		c->cur_byte++;
	}
	return c->base_line + c->cur_line;
}

/* The file line of a byte offset, never past the last line of the text. */
static int line_of_offset(const struct ctx *c, size_t offset)
{
	int line = 0;
	size_t end = offset < c->len ? offset : c->len;
	for (size_t i = 0; i < end; i++)
		if (breaks_line(c, i) && i + 1 < c->len)
			line++;
	return c->base_line + line;
}

static int file_line(struct ctx *c, const yaml_mark_t *m)
{
	int line = line_of_index(c, m->index);
	return line > c->last_line ? c->last_line : line;
}

static int yaml_error(struct ctx *c)
{
	const yaml_parser_t *p = &c->parser;
	int line;

	if (p->error == YAML_MEMORY_ERROR)
		return rt_error_set(RT_ENOMEM, "out of memory");
	if (p->error == YAML_READER_ERROR) /* bad bytes: libyaml gives their byte offset */
		line = line_of_offset(c, p->problem_offset);
	else if (p->context && (strstr(p->context, "flow") || strstr(p->context, "simple key")))
		/* an unclosed [ or { and a key without its ':' are noticed lines later: name
		 * where they began */
		line = file_line(c, &p->context_mark);
	else
		line = file_line(c, &p->problem_mark);
	rt_error_set(RT_EINPUT, "%s:%d: invalid YAML: %s%s%s", c->path, line,
	             p->problem ? p->problem : "syntax error", p->context ? " " : "",
	             p->context ? p->context : "");
	rt_error_set_location(c->path, line);
	return RT_EINPUT;
}

static int next_event(struct ctx *c, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&c->parser, ev))
		return yaml_error(c);
	return 0;
}

static int add_item(struct rt_ynode *parent, struct rt_ynode *child, size_t *cap)
{
	if (rt_grow_array(&parent->items, cap, parent->n + 1, sizeof(*parent->items)) < 0) {
		rt_ynode_free(child);
		return RT_ENOMEM;
	}
	parent->items[parent->n++] = child;
	return 0;
}

static int parse_node(struct ctx *c, yaml_event_t *ev, int depth, struct rt_ynode **out);

static int parse_collection(struct ctx *c, struct rt_ynode *node, yaml_event_type_t end, int depth)
{
	size_t cap = 0;
	yaml_event_t ev;

	for (;;) {
		struct rt_ynode *child = NULL;
		int rc = next_event(c, &ev);
		if (rc < 0)
			return rc;
		if (ev.type == end) {
			yaml_event_delete(&ev);
			return 0;
		}
		rc = parse_node(c, &ev, depth + 1, &child);
		yaml_event_delete(&ev);
		if (rc < 0)
			return rc;
		if (node->kind == RT_Y_MAP && node->n % 2 == 0) {
			if (child->kind != RT_Y_SCALAR) {
				int line = child->line;
				rt_ynode_free(child);
				rt_error_set(RT_EINPUT, "%s:%d: invalid YAML: a mapping key must be a plain string",
				             c->path, line);
				rt_error_set_location(c->path, line);
				return RT_EINPUT;
			}
			for (size_t i = 0; i < node->n; i += 2) {
				if (strcmp(node->items[i]->value, child->value) == 0) {
					int line = child->line;
					char *key = rt_mask(child->value); /* text of the file: masked */
					rt_error_set(RT_EINPUT, "%s:%d: duplicate key '%s' (first at line %d)", c->path,
					             line, key ? key : "?", node->items[i]->line);
					free(key);
					rt_error_set_location(c->path, line);
					rt_ynode_free(child);
					return RT_EINPUT;
				}
			}
		}
		if (add_item(node, child, &cap) < 0)
			return RT_ENOMEM;
	}
}

static int parse_node(struct ctx *c, yaml_event_t *ev, int depth, struct rt_ynode **out)
{
	struct rt_ynode *node;
	int rc = 0;

	*out = NULL;
	if (depth > MAX_DEPTH) {
		int line = file_line(c, &ev->start_mark);
		rt_error_set(RT_EINPUT, "%s:%d: YAML nested more than %d levels deep", c->path, line,
		             MAX_DEPTH);
		rt_error_set_location(c->path, line);
		return RT_EINPUT;
	}
	if (ev->type == YAML_ALIAS_EVENT) {
		int line = file_line(c, &ev->start_mark);
		rt_error_set(RT_EINPUT, "%s:%d: YAML aliases (*name) are not supported here", c->path, line);
		rt_error_set_location(c->path, line);
		return RT_EINPUT;
	}
	node = rt_calloc(1, sizeof(*node));
	if (!node)
		return RT_ENOMEM;
	node->line = file_line(c, &ev->start_mark);
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		node->kind = RT_Y_SCALAR;
		node->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		node->value = rt_strndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
		if (!node->value)
			rc = RT_ENOMEM;
		else if (strlen(node->value) != ev->data.scalar.length) {
			rt_error_set(RT_EINPUT, "%s:%d: a YAML value contains a NUL character", c->path,
			             node->line);
			rt_error_set_location(c->path, node->line);
			rc = RT_EINPUT;
		}
		break;
	case YAML_SEQUENCE_START_EVENT:
		node->kind = RT_Y_SEQ;
		rc = parse_collection(c, node, YAML_SEQUENCE_END_EVENT, depth);
		break;
	case YAML_MAPPING_START_EVENT:
		node->kind = RT_Y_MAP;
		rc = parse_collection(c, node, YAML_MAPPING_END_EVENT, depth);
		break;
	default:
		rt_error_set(RT_EINPUT, "%s:%d: unexpected YAML structure", c->path, node->line);
		rt_error_set_location(c->path, node->line);
		rc = RT_EINPUT;
	}
	if (rc < 0) {
		rt_ynode_free(node);
		return rc;
	}
	*out = node;
	return 0;
}

int rt_yaml_parse(const char *path, const char *text, size_t len, int base_line,
                  struct rt_ynode **out)
{
	int rc = rt_yaml_parse_flat(text, len, base_line, out);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	return rt_yaml_parse_libyaml(path, text, len, base_line, out);
}

int rt_yaml_parse_libyaml(const char *path, const char *text, size_t len, int base_line,
                          struct rt_ynode **out)
{
	struct ctx c;
	yaml_event_t ev;
	struct rt_ynode *root = NULL;
	int rc = 0, docs = 0;

	*out = NULL;
	memset(&c, 0, sizeof(c));
	c.path = path;
	c.base_line = base_line;
	c.text = text;
	c.len = len;
	c.last_line = line_of_offset(&c, len);
	if (!yaml_parser_initialize(&c.parser))
		return rt_error_set(RT_ENOMEM, "out of memory");
	yaml_parser_set_input_string(&c.parser, (const unsigned char *)text, len);
	for (;;) {
		if ((rc = next_event(&c, &ev)) < 0)
			break;
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type == YAML_DOCUMENT_START_EVENT) {
			if (++docs > 1) {
				int line = file_line(&c, &ev.start_mark);
				yaml_event_delete(&ev);
				rt_error_set(RT_EINPUT, "%s:%d: only one YAML document is allowed", path, line);
				rt_error_set_location(path, line);
				rc = RT_EINPUT;
				break;
			}
		} else if (ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT ||
		           ev.type == YAML_SCALAR_EVENT || ev.type == YAML_ALIAS_EVENT) {
			rc = parse_node(&c, &ev, 0, &root);
			yaml_event_delete(&ev);
			if (rc < 0)
				break;
			continue;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&c.parser);
	if (rc < 0) {
		rt_ynode_free(root);
		return rc;
	}
	*out = root;
	return 0;
}

int rt_ynode_is_null(const struct rt_ynode *n)
{
	if (!n)
		return 1;
	if (n->kind != RT_Y_SCALAR || !n->plain)
		return 0;
	return n->value[0] == '\0' || strcmp(n->value, "~") == 0 || strcmp(n->value, "null") == 0 ||
	       strcmp(n->value, "Null") == 0 || strcmp(n->value, "NULL") == 0;
}

int rt_ynode_bool(const struct rt_ynode *n, const char *path, const char *key, int *out)
{
	static const char *yes[] = { "true", "yes", "on" }, *no[] = { "false", "no", "off" };
	char *shown;

	if (n && n->kind == RT_Y_SCALAR) {
		for (size_t i = 0; i < 3; i++) {
			if (strcasecmp(n->value, yes[i]) == 0) {
				*out = 1;
				return 0;
			}
			if (strcasecmp(n->value, no[i]) == 0) {
				*out = 0;
				return 0;
			}
		}
	}
	/* a value quoted from the file may hold a password (a misplaced URL): masked */
	shown = n && n->kind == RT_Y_SCALAR ? rt_mask(n->value) : NULL;
	if (n && n->kind == RT_Y_SCALAR && !shown)
		return RT_ENOMEM;
	rt_error_set(RT_EINPUT, "%s:%d: '%s' must be true or false, not %s%s%s", path, n ? n->line : 0,
	             key, shown ? "'" : "", shown ? shown : n ? rt_ynode_kind_name(n) : "nothing",
	             shown ? "'" : "");
	rt_error_set_location(path, n ? n->line : 0);
	free(shown);
	return RT_EINPUT;
}

const char *rt_ynode_kind_name(const struct rt_ynode *n)
{
	if (!n)
		return "nothing";
	switch (n->kind) {
	case RT_Y_SCALAR:
		return "a string";
	case RT_Y_SEQ:
		return "a list";
	default:
		return "a mapping";
	}
}
