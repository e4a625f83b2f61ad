//! Values by PF name and VF index, as a sample lists them: a PF found among the few by name, a
//! VF by its index where it sits (VFs come in index order) or by a binary search — no hashing
//! and no allocation per lookup, for the per-sample paths that read every VF several times.

/// One PF's values by VF index, kept sorted by index.
#[derive(Clone, Debug, PartialEq)]
pub struct ByVf<T> {
    entries: Vec<(u32, T)>,
}

impl<T> Default for ByVf<T> {
    fn default() -> Self {
        ByVf { entries: Vec::new() }
    }
}

impl<T> ByVf<T> {
    pub fn with_capacity(n: usize) -> Self {
        ByVf { entries: Vec::with_capacity(n) }
    }

    /// Where `vf` is: at its own index when the VFs are 0..n, else found by a binary search.
    fn position(&self, vf: u32) -> Result<usize, usize> {
        match self.entries.get(vf as usize) {
            Some((index, _)) if *index == vf => Ok(vf as usize),
            _ => self.entries.binary_search_by_key(&vf, |(index, _)| *index),
        }
    }

    pub fn get(&self, vf: u32) -> Option<&T> {
        self.position(vf).ok().map(|i| &self.entries[i].1)
    }

    /// `vf`'s value, made by `make` where there is none yet.
    pub fn get_or_insert_with(&mut self, vf: u32, make: impl FnOnce() -> T) -> &mut T {
        let i = match self.position(vf) {
            Ok(i) => i,
            Err(i) => {
                self.entries.insert(i, (vf, make()));
                i
            }
        };
        &mut self.entries[i].1
    }

    /// Sets `vf`'s value (the last one set wins).
    pub fn insert(&mut self, vf: u32, value: T) {
        match self.position(vf) {
            Ok(i) => self.entries[i].1 = value,
            Err(i) => self.entries.insert(i, (vf, value)),
        }
    }

    /// In index order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &T)> {
        self.entries.iter().map(|(vf, v)| (*vf, v))
    }

    /// Its entries, in index order.
    pub fn into_entries(self) -> impl Iterator<Item = (u32, T)> {
        self.entries.into_iter()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<T> FromIterator<(u32, T)> for ByVf<T> {
    fn from_iter<I: IntoIterator<Item = (u32, T)>>(items: I) -> Self {
        let mut entries: Vec<(u32, T)> = items.into_iter().collect();
        if !entries.is_sorted_by_key(|(vf, _)| *vf) {
            // Stable: of two values for one VF, the later one is found.
            entries.sort_by_key(|(vf, _)| *vf);
        }
        let mut deduped: Vec<(u32, T)> = Vec::with_capacity(entries.len());
        for (vf, value) in entries {
            match deduped.last_mut() {
                Some(last) if last.0 == vf => last.1 = value,
                _ => deduped.push((vf, value)),
            }
        }
        ByVf { entries: deduped }
    }
}

/// Values by PF name, then by VF index.
#[derive(Clone, Debug, PartialEq)]
pub struct ByFunction<'a, T> {
    pfs: Vec<(&'a str, ByVf<T>)>,
}

impl<T> Default for ByFunction<'_, T> {
    fn default() -> Self {
        ByFunction { pfs: Vec::new() }
    }
}

impl<'a, T> ByFunction<'a, T> {
    pub fn pf(&self, pf: &str) -> Option<&ByVf<T>> {
        self.pfs.iter().find(|(name, _)| *name == pf).map(|(_, vfs)| vfs)
    }

    /// `pf`'s table, an empty one added where it has none.
    pub fn pf_mut(&mut self, pf: &'a str) -> &mut ByVf<T> {
        let i = match self.pfs.iter().position(|(name, _)| *name == pf) {
            Some(i) => i,
            None => {
                self.pfs.push((pf, ByVf::default()));
                self.pfs.len() - 1
            }
        };
        &mut self.pfs[i].1
    }

    pub fn get(&self, pf: &str, vf: u32) -> Option<&T> {
        self.pf(pf).and_then(|vfs| vfs.get(vf))
    }
}

impl<'a, T> FromIterator<(&'a str, u32, T)> for ByFunction<'a, T> {
    fn from_iter<I: IntoIterator<Item = (&'a str, u32, T)>>(items: I) -> Self {
        let mut table = ByFunction::default();
        for (pf, vf, value) in items {
            table.pf_mut(pf).insert(vf, value);
        }
        table
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vfs_are_found_in_order_out_of_order_and_with_gaps() {
        let dense: ByVf<char> = [(0, 'a'), (1, 'b'), (2, 'c')].into_iter().collect();
        assert_eq!((dense.get(1), dense.get(3)), (Some(&'b'), None));
        let sparse: ByVf<char> = [(7, 'x'), (2, 'y'), (u32::MAX, 'z'), (2, 'w')].into_iter().collect();
        assert_eq!(sparse.get(2), Some(&'w'), "the later of two values");
        assert_eq!((sparse.get(7), sparse.get(u32::MAX), sparse.get(0)), (Some(&'x'), Some(&'z'), None));
        assert_eq!(sparse.iter().map(|(vf, _)| vf).collect::<Vec<_>>(), vec![2, 7, u32::MAX]);
        // An entry at a VF's own position that is another VF's is not taken for it.
        let shifted: ByVf<char> = [(1, 'p'), (2, 'q')].into_iter().collect();
        assert_eq!((shifted.get(0), shifted.get(1), shifted.get(2)), (None, Some(&'p'), Some(&'q')));
    }

    #[test]
    fn inserting_keeps_the_order() {
        let mut t = ByVf::default();
        for vf in [5, 1, 3, 1] {
            *t.get_or_insert_with(vf, || 0) += 1;
        }
        assert_eq!(t.iter().map(|(vf, n)| (vf, *n)).collect::<Vec<_>>(), vec![(1, 2), (3, 1), (5, 1)]);
        let by_pf: ByFunction<u8> = [("b", 1, 10), ("a", 1, 20), ("b", 0, 30)].into_iter().collect();
        assert_eq!((by_pf.get("b", 0), by_pf.get("a", 1), by_pf.get("a", 0)), (Some(&30), Some(&20), None));
    }
}
