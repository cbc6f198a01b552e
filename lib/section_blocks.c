/*
 * section_blocks.c - a section as a list of blocks, and positions in it.
 *
 * A section's statements are kept in one array (what most of the code walks) and
 * described as blocks over that array: runs of statements that run the same way. Today
 * every section is one block of plain statements; steps, batches and loops over
 * partitions will be blocks of their own kinds. A position says where a run of a section
 * stands (block, iteration, statement in the block) and is what a stopped run records so
 * that a rerun resumes exactly; rows of older retorts give only a statement count, which
 * rt_section_position() turns into the same thing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

int rt_section_make_blocks(struct rt_section *sec)
{
	struct rt_block *b = rt_calloc(1, sizeof(*b));

	if (!b)
		return RT_ENOMEM;
	b->kind = RT_BLOCK_STATEMENTS;
	b->line = sec->n ? sec->stmts[0].line : sec->line;
	b->first = 0;
	b->n = sec->n;
	b->transactional = 1;
	sec->blocks = b;
	sec->nblocks = 1;
	return 0;
}

void rt_section_free_blocks(struct rt_section *sec)
{
	for (size_t i = 0; i < sec->nblocks; i++)
		rt_strlist_release(&sec->blocks[i].args);
	free(sec->blocks);
	sec->blocks = NULL;
	sec->nblocks = 0;
}

void rt_section_position(const struct rt_section *sec, size_t flat, struct rt_position *out)
{
	size_t b = 0;

	while (b + 1 < sec->nblocks && flat >= sec->blocks[b].first + sec->blocks[b].n)
		b++;
	out->block = b;
	out->iteration = 0;
	out->statement = sec->nblocks ? flat - sec->blocks[b].first : flat;
}

int rt_section_flat(const struct rt_section *sec, const struct rt_position *pos, size_t *out)
{
	const struct rt_block *b = pos->block < sec->nblocks ? &sec->blocks[pos->block] : NULL;

	if (!b || pos->iteration != 0 || pos->statement > b->n ||
	    (pos->statement == b->n && pos->block + 1 < sec->nblocks))
		return rt_error_set(RT_ESTATE, "the recorded position %zu:%ld:%zu is not one of this section",
		                    pos->block, pos->iteration, pos->statement);
	*out = b->first + pos->statement;
	return 0;
}

void rt_position_format(const struct rt_position *pos, char *out, size_t size)
{
	snprintf(out, size, "%zu:%ld:%zu", pos->block, pos->iteration, pos->statement);
}

int rt_position_parse(const char *text, struct rt_position *out)
{
	unsigned long b, s;
	long it;
	int used = 0;

	if (sscanf(text, "%lu:%ld:%lu%n", &b, &it, &s, &used) != 3 || text[used] || it < 0)
		return rt_error_set(RT_EINPUT, "invalid position '%s'", text);
	out->block = b;
	out->iteration = it;
	out->statement = s;
	return 0;
}
