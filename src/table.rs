//! `Table`: the SDK's keyed collections (requests waiting for replies,
//! channels, invitations, subscribed peers) as a list of pairs.
//!
//! Why not `HashMap` or `BTreeMap`: each map type's generic code is compiled
//! into the bundle once per key and value type (hashbrown, SipHash, B-tree
//! nodes: ~10 KB of wasm for the five maps the SDK had), while these tables
//! hold at most a few hundred entries (20 channels, 512 subscriptions, the
//! requests in flight), where a linear scan costs nothing a user could notice.

use std::borrow::Borrow;

/// Pairs with unique keys, in insertion order.
pub struct Table<K, V>(Vec<(K, V)>);

impl<K, V> Default for Table<K, V> {
    fn default() -> Self {
        Table(Vec::new())
    }
}

impl<K: PartialEq, V> Table<K, V> {
    fn position<Q: PartialEq + ?Sized>(&self, key: &Q) -> Option<usize>
    where
        K: Borrow<Q>,
    {
        self.0.iter().position(|(k, _)| k.borrow() == key)
    }

    /// The value of `key`.
    pub fn get<Q: PartialEq + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.position(key).map(|i| &self.0[i].1)
    }

    /// The value of `key`, to change.
    pub fn get_mut<Q: PartialEq + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        self.position(key).map(|i| &mut self.0[i].1)
    }

    /// Whether `key` has a value.
    pub fn contains_key<Q: PartialEq + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.position(key).is_some()
    }

    /// Sets the value of `key`; returns the one it replaced.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.position(&key) {
            Some(i) => Some(std::mem::replace(&mut self.0[i].1, value)),
            None => {
                self.0.push((key, value));
                None
            }
        }
    }

    /// Removes `key`; returns its value.
    pub fn remove<Q: PartialEq + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.position(key).map(|i| self.0.remove(i).1)
    }

    /// How many keys have a value.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The keys, in insertion order.
    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.0.iter().map(|(k, _)| k)
    }

    /// Empties the table, yielding its pairs.
    pub fn drain(&mut self) -> impl Iterator<Item = (K, V)> + '_ {
        self.0.drain(..)
    }

    /// Empties the table.
    pub fn clear(&mut self) {
        self.0.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::Table;

    #[test]
    fn a_table_keeps_one_value_per_key_in_insertion_order() {
        let mut t: Table<String, u32> = Table::default();
        assert_eq!(t.insert("b".into(), 1), None);
        assert_eq!(t.insert("a".into(), 2), None);
        assert_eq!(t.insert("b".into(), 3), Some(1), "replaced");
        assert_eq!((t.len(), t.get("b"), t.contains_key("c")), (2, Some(&3), false));
        *t.get_mut("a").unwrap() += 10;
        assert_eq!(t.keys().cloned().collect::<Vec<_>>(), ["b", "a"]);
        assert_eq!(t.remove("b"), Some(3));
        assert_eq!(t.remove("b"), None);
        assert_eq!(t.drain().collect::<Vec<_>>(), [("a".to_string(), 12)]);
        assert!(t.is_empty());
    }
}
