/* What kernel.h needs outside eBPF: KERNEL(name) as a plain function, and the maps and map helpers the kernels use
 * (hash and array maps, the semantics of Linux's bpf_map_lookup_elem / update / delete, sized as declared). Small
 * and unoptimised on purpose: it stands in for what a kernel's maps cost natively, not for a tuned hash table. */
#ifndef BENCH_NATIVE_SHIM_H
#define BENCH_NATIVE_SHIM_H
#include <string.h>

#define KERNEL(name) u64 name(u8 *data, u64 len)

struct native_map {
	int type; /* 1 hash, 2 array */
	u32 key_size, value_size, max_entries, slot_size, capacity, count;
	u8 *slots; /* capacity slots: state byte (0 empty, 1 used, 2 deleted), key, value at offset 8 + key rounded */
};

#define NATIVE_ROUND8(n) (((n) + 7) & ~7u)
#define NATIVE_SLOT(key_size, value_size) (8 + NATIVE_ROUND8(key_size) + NATIVE_ROUND8(value_size))

#define HASH_MAP(name, key_type, value_type, max)                                                                \
	static u64 name##_slots[2 * (max) * NATIVE_SLOT(sizeof(key_type), sizeof(value_type)) / 8];               \
	static struct native_map name = { 1, sizeof(key_type), sizeof(value_type), (max),                         \
					  NATIVE_SLOT(sizeof(key_type), sizeof(value_type)), 2 * (max), 0,            \
					  (u8 *)name##_slots }
#define ARRAY_MAP(name, value_type, max)                                                                         \
	static u64 name##_slots[(max) * NATIVE_SLOT(4, sizeof(value_type)) / 8];                                  \
	static struct native_map name = { 2, 4, sizeof(value_type), (max), NATIVE_SLOT(4, sizeof(value_type)),     \
					  (max), 0, (u8 *)name##_slots }

static inline u8 *native_value(struct native_map *m, u8 *slot) { return slot + 8 + NATIVE_ROUND8(m->key_size); }

/* The slot holding key, or (insert) the first free slot on its probe sequence; 0 when neither. */
static u8 *native_find(struct native_map *m, const void *key, int insert)
{
	const u8 *k = key;
	u32 h = 2166136261u;
	for (u32 i = 0; i < m->key_size; i++)
		h = (h ^ k[i]) * 16777619u;
	u8 *free_slot = 0;
	for (u32 n = 0; n < m->capacity; n++) {
		u8 *slot = m->slots + (u64)((h + n) % m->capacity) * m->slot_size;
		if (slot[0] == 1 && !memcmp(slot + 8, key, m->key_size))
			return slot;
		if (slot[0] != 1 && !free_slot)
			free_slot = slot;
		if (slot[0] == 0)
			break;
	}
	return insert ? free_slot : 0;
}

static __attribute__((unused)) void *bpf_map_lookup_elem(void *map, const void *key)
{
	struct native_map *m = map;
	if (m->type == 2) {
		u32 i;
		memcpy(&i, key, 4);
		return i < m->max_entries ? native_value(m, m->slots + (u64)i * m->slot_size) : 0;
	}
	u8 *slot = native_find(m, key, 0);
	return slot ? native_value(m, slot) : 0;
}

static __attribute__((unused)) long bpf_map_update_elem(void *map, const void *key, const void *value, u64 flags)
{
	struct native_map *m = map;
	if (m->type == 2) {
		void *v = bpf_map_lookup_elem(map, key);
		if (!v)
			return -7; /* -E2BIG */
		if (flags == BPF_NOEXIST)
			return -17; /* -EEXIST */
		memcpy(v, value, m->value_size);
		return 0;
	}
	u8 *slot = native_find(m, key, 1);
	if (slot && slot[0] == 1) {
		if (flags == BPF_NOEXIST)
			return -17;
	} else {
		if (flags == BPF_EXIST)
			return -2; /* -ENOENT */
		if (!slot || m->count == m->max_entries)
			return -7;
		slot[0] = 1;
		memcpy(slot + 8, key, m->key_size);
		m->count++;
	}
	memcpy(native_value(m, slot), value, m->value_size);
	return 0;
}

static __attribute__((unused)) long bpf_map_delete_elem(void *map, const void *key)
{
	struct native_map *m = map;
	if (m->type == 2)
		return -22; /* -EINVAL */
	u8 *slot = native_find(m, key, 0);
	if (!slot)
		return -2;
	slot[0] = 2;
	if (--m->count == 0) /* no probe sequence needs the tombstones any more */
		for (u32 i = 0; i < m->capacity; i++)
			m->slots[(u64)i * m->slot_size] = 0;
	return 0;
}

#endif
