//! The image dependency graph: restricting it to the requested images, finding cycles, and
//! layering it into sets of images whose dependencies all sit in earlier sets.

use std::collections::{BTreeMap, BTreeSet};

/// Image indices each image depends on, by index.
pub type Edges = Vec<BTreeSet<usize>>;

/// The images `roots` need: themselves and everything they depend on, transitively.
pub fn reachable(edges: &Edges, roots: &[usize]) -> BTreeSet<usize> {
    let mut seen = BTreeSet::new();
    let mut stack: Vec<usize> = roots.to_vec();
    while let Some(i) = stack.pop() {
        if seen.insert(i) {
            stack.extend(edges[i].iter().copied());
        }
    }
    seen
}

/// A dependency cycle as a list of indices where the last depends on the first, if any.
pub fn find_cycle(edges: &Edges) -> Option<Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    fn visit(
        i: usize,
        edges: &Edges,
        marks: &mut [Mark],
        path: &mut Vec<usize>,
    ) -> Option<Vec<usize>> {
        marks[i] = Mark::Open;
        path.push(i);
        for &d in &edges[i] {
            match marks[d] {
                Mark::Open => {
                    let start = path
                        .iter()
                        .position(|&p| p == d)
                        .expect("open nodes are on the path");
                    return Some(path[start..].to_vec());
                }
                Mark::New => {
                    if let Some(c) = visit(d, edges, marks, path) {
                        return Some(c);
                    }
                }
                Mark::Done => {}
            }
        }
        path.pop();
        marks[i] = Mark::Done;
        None
    }
    let mut marks = vec![Mark::New; edges.len()];
    for i in 0..edges.len() {
        if marks[i] == Mark::New
            && let Some(c) = visit(i, edges, &mut marks, &mut Vec::new())
        {
            return Some(c);
        }
    }
    None
}

/// Layers `nodes` (acyclic) into sets: each node lands in the first set after all its
/// dependencies. Sets are ordered by the key `order` gives each node.
pub fn layers<K: Ord>(
    edges: &Edges,
    nodes: &BTreeSet<usize>,
    order: impl Fn(usize) -> K,
) -> Vec<Vec<usize>> {
    let mut level: BTreeMap<usize, usize> = BTreeMap::new();
    fn depth(i: usize, edges: &Edges, level: &mut BTreeMap<usize, usize>) -> usize {
        if let Some(&l) = level.get(&i) {
            return l;
        }
        let l = edges[i]
            .iter()
            .map(|&d| depth(d, edges, level) + 1)
            .max()
            .unwrap_or(0);
        level.insert(i, l);
        l
    }
    let mut sets: Vec<Vec<usize>> = Vec::new();
    for &i in nodes {
        let l = depth(i, edges, &mut level);
        if sets.len() <= l {
            sets.resize(l + 1, Vec::new());
        }
        sets[l].push(i);
    }
    for set in &mut sets {
        set.sort_by_key(|&i| order(i));
    }
    sets
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edges(list: &[&[usize]]) -> Edges {
        list.iter().map(|d| d.iter().copied().collect()).collect()
    }

    #[test]
    fn layers_by_depth() {
        // 0 backend, 1 frontend, 2 frontend-assets -> frontend
        let e = edges(&[&[], &[], &[1]]);
        let all = (0..3).collect();
        assert_eq!(layers(&e, &all, |i| i), vec![vec![0, 1], vec![2]]);
        // diamond: 3 -> 1, 2; 1 -> 0; 2 -> 0
        let e = edges(&[&[], &[0], &[0], &[1, 2]]);
        let all = (0..4).collect();
        assert_eq!(layers(&e, &all, |i| i), vec![vec![0], vec![1, 2], vec![3]]);
        // order key reverses within a set
        let e = edges(&[&[], &[]]);
        let all = (0..2).collect();
        assert_eq!(layers(&e, &all, std::cmp::Reverse), vec![vec![1, 0]]);
    }

    #[test]
    fn finds_cycles() {
        assert_eq!(find_cycle(&edges(&[&[], &[0]])), None);
        assert_eq!(find_cycle(&edges(&[&[1], &[2], &[0]])), Some(vec![0, 1, 2]));
        assert_eq!(find_cycle(&edges(&[&[], &[1]])), Some(vec![1]));
    }

    #[test]
    fn reaches_dependencies() {
        let e = edges(&[&[], &[0], &[1], &[]]);
        assert_eq!(reachable(&e, &[2]), [0, 1, 2].into_iter().collect());
        assert_eq!(reachable(&e, &[3]), [3].into_iter().collect());
    }
}
