//! The devlink rate tree: groups (nodes) with their members beneath, in display order.

use crate::model::{DevlinkObject, DevlinkRef, RateObject};

/// One line of the tree: how deep it sits, and which object it shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TreeLine {
    pub depth: usize,
    pub index: usize,
}

/// Orders objects as a tree per device: groups first, then their members (recursively),
/// then objects without a parent. An object whose parent is missing is shown at the top.
pub fn tree_lines(objects: &[RateObject]) -> Vec<TreeLine> {
    let mut lines = Vec::new();
    let known = |o: &RateObject| {
        o.parent.as_ref().is_some_and(|p| {
            objects.iter().any(|n| {
                n.target.device == o.target.device && n.target.object == DevlinkObject::Node(p.clone())
            })
        })
    };
    let mut roots: Vec<usize> = (0..objects.len()).filter(|&i| !known(&objects[i])).collect();
    roots.sort_by_key(|&i| order_key(&objects[i]));
    for root in roots {
        push(objects, root, 0, &mut lines);
    }
    lines
}

fn order_key(o: &RateObject) -> (String, bool, DevlinkObject) {
    (o.target.device.clone(), matches!(o.target.object, DevlinkObject::Leaf(_)), o.target.object.clone())
}

fn push(objects: &[RateObject], index: usize, depth: usize, lines: &mut Vec<TreeLine>) {
    if depth > 16 || lines.iter().any(|l| l.index == index) {
        return; // a cycle or absurd depth: show each object once
    }
    lines.push(TreeLine { depth, index });
    let DevlinkObject::Node(name) = &objects[index].target.object else { return };
    let mut children: Vec<usize> = (0..objects.len())
        .filter(|&i| {
            objects[i].parent.as_deref() == Some(name)
                && objects[i].target.device == objects[index].target.device
        })
        .collect();
    children.sort_by_key(|&i| order_key(&objects[i]));
    for child in children {
        push(objects, child, depth + 1, lines);
    }
}

/// The object `delta` lines away from `current` in tree order (wrapping), or the first.
pub fn step(objects: &[RateObject], current: Option<&DevlinkRef>, delta: isize) -> Option<DevlinkRef> {
    let lines = tree_lines(objects);
    if lines.is_empty() {
        return None;
    }
    let at = current.and_then(|c| lines.iter().position(|l| &objects[l.index].target == c));
    let next = match at {
        Some(i) => (i as isize + delta).rem_euclid(lines.len() as isize) as usize,
        None => 0,
    };
    Some(objects[lines[next].index].target.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RateLimit;

    fn object(object: DevlinkObject, parent: Option<&str>) -> RateObject {
        let name = match &object {
            DevlinkObject::Leaf(p) => format!("port {p}"),
            DevlinkObject::Node(n) => n.clone(),
        };
        RateObject {
            target: DevlinkRef { device: "netdevsim/netdevsim1".into(), object },
            name,
            limit: RateLimit::default(),
            parent: parent.map(str::to_string),
            vf: None,
            scheduling: Default::default(),
        }
    }

    #[test]
    fn groups_hold_their_members() {
        let objects = vec![
            object(DevlinkObject::Leaf(128), None),
            object(DevlinkObject::Leaf(129), Some("g1")),
            object(DevlinkObject::Node("g1".into()), None),
            object(DevlinkObject::Node("inner".into()), Some("g1")),
            object(DevlinkObject::Leaf(130), Some("inner")),
            object(DevlinkObject::Leaf(131), Some("missing")),
        ];
        let shown: Vec<(usize, String)> =
            tree_lines(&objects).iter().map(|l| (l.depth, objects[l.index].name.clone())).collect();
        let want =
            [(0, "g1"), (1, "inner"), (2, "port 130"), (1, "port 129"), (0, "port 128"), (0, "port 131")];
        assert_eq!(shown, want.map(|(d, n)| (d, n.to_string())));
    }

    #[test]
    fn cycles_do_not_loop() {
        let objects = vec![
            object(DevlinkObject::Node("a".into()), Some("b")),
            object(DevlinkObject::Node("b".into()), Some("a")),
        ];
        assert!(tree_lines(&objects).len() <= 2);
    }

    #[test]
    fn stepping_wraps() {
        let objects =
            vec![object(DevlinkObject::Node("g".into()), None), object(DevlinkObject::Leaf(1), Some("g"))];
        let first = step(&objects, None, 1).unwrap();
        assert_eq!(first.object, DevlinkObject::Node("g".into()));
        let second = step(&objects, Some(&first), 1).unwrap();
        assert_eq!(second.object, DevlinkObject::Leaf(1));
        assert_eq!(step(&objects, Some(&second), 1).unwrap(), first);
        assert_eq!(step(&[], None, 1), None);
    }
}
