/*
 * hashmap.c - struct rt_map, an open-addressing hash map from borrowed C strings to
 * pointers. Used to index revisions by id and by branch label.
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"

static size_t hash_str(const char *s)
{
	size_t h = 1469598103934665603ULL; /* FNV-1a */
	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return h;
}

void rt_map_init(struct rt_map *m)
{
	m->slots = NULL;
	m->cap = 0;
	m->count = 0;
}

static struct rt_map_entry *find_slot(struct rt_map_entry *slots, size_t cap, const char *key,
                                      size_t h)
{
	size_t i = h & (cap - 1);
	while (slots[i].key && (slots[i].hash != h || strcmp(slots[i].key, key) != 0))
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

static int rehash(struct rt_map *m, size_t ncap)
{
	struct rt_map_entry *ns = rt_calloc(ncap, sizeof(*ns));
	if (!ns)
		return RT_ENOMEM;
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].key)
			*find_slot(ns, ncap, m->slots[i].key, m->slots[i].hash) = m->slots[i];
	free(m->slots);
	m->slots = ns;
	m->cap = ncap;
	return 0;
}

int rt_map_put(struct rt_map *m, const char *key, void *value)
{
	size_t h = hash_str(key);
	struct rt_map_entry *e;

	if ((m->count + 1) * 2 > m->cap && rehash(m, m->cap ? m->cap * 2 : 16) < 0)
		return RT_ENOMEM;
	e = find_slot(m->slots, m->cap, key, h);
	if (!e->key) {
		e->key = key;
		e->hash = h;
		m->count++;
	}
	e->value = value;
	return 0;
}

void *rt_map_get(const struct rt_map *m, const char *key)
{
	struct rt_map_entry *e;
	if (!m->cap)
		return NULL;
	e = find_slot(m->slots, m->cap, key, hash_str(key));
	return e->key ? e->value : NULL;
}

void rt_map_release(struct rt_map *m)
{
	free(m->slots);
	rt_map_init(m);
}
