//! The layering test: the README's layer list (section "Layers") is the law, and this test
//! reads every file under `src/` to check it. A top-level module may import only modules on
//! lower lines of that list; no two top-level modules may import each other, directly or in a
//! longer cycle; and `src/http` never reaches into storage (no `tx.` calls, no tables, no
//! domain `store` modules): it authenticates, converts and renders.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers of the README, lowest first: each line's module names.
fn readme_layers(readme: &str) -> Vec<Vec<String>> {
    let start = readme.find("<!-- layers:").expect("README has a `<!-- layers:` marker");
    let end = start + readme[start..].find("<!-- /layers -->").expect("README closes the layer list with `<!-- /layers -->`");
    readme[start..end]
        .lines()
        .filter(|l| l.trim_start().chars().next().is_some_and(|c| c.is_ascii_digit()))
        .map(|l| l.split('`').skip(1).step_by(2).map(str::to_string).collect())
        .collect()
}

/// The source of a file without its `#[cfg(test)]` parts (tests may reach anywhere) and
/// without comment lines.
fn production_code(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]") {
            // Skip the item that follows: up to its matching closing brace, or one line.
            let mut depth = 0i32;
            let mut opened = false;
            for next in lines.by_ref() {
                depth += next.matches('{').count() as i32 - next.matches('}').count() as i32;
                opened |= next.contains('{');
                if (opened && depth <= 0) || (!opened && next.trim_end().ends_with(';')) {
                    break;
                }
            }
            continue;
        }
        if t.starts_with("//") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Top-level modules a piece of code names: `crate::x` and `crate::{x, y::z}`.
fn imports(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let end = group
                .char_indices()
                .find(|(_, c)| {
                    depth += match c {
                        '{' => 1,
                        '}' => -1,
                        _ => 0,
                    };
                    depth == 0
                })
                .map_or(group.len(), |(i, _)| i);
            let mut depth = 0;
            let mut item = String::new();
            for c in group[..end].chars().chain([',']) {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        let name: String = item.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                        if !name.is_empty() {
                            found.insert(name);
                        }
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
        } else {
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if !name.is_empty() {
                found.insert(name);
            }
        }
    }
    found
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).expect("read src").flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every top-level module of `src/` with the production code of its files.
fn modules(src: &Path) -> BTreeMap<String, Vec<(PathBuf, String)>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut out: BTreeMap<String, Vec<(PathBuf, String)>> = BTreeMap::new();
    for path in files {
        let relative = path.strip_prefix(src).expect("under src");
        let first = relative.components().next().expect("a component").as_os_str().to_string_lossy().to_string();
        let module = first.trim_end_matches(".rs").to_string();
        if module == "lib" || module == "tidy" || relative.file_name().is_some_and(|f| f == "tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read a source file");
        out.entry(module).or_default().push((path, production_code(&text)));
    }
    out
}

/// What breaks the layer list: `(module, imported, file)` for each import of a higher (or
/// unlisted) module.
fn upward_imports(layers: &[Vec<String>], modules: &BTreeMap<String, Vec<(PathBuf, String)>>) -> Vec<String> {
    let rank: BTreeMap<&str, usize> = layers.iter().enumerate().flat_map(|(i, line)| line.iter().map(move |m| (m.as_str(), i))).collect();
    let mut problems = Vec::new();
    for (module, files) in modules {
        let Some(&own) = rank.get(module.as_str()) else {
            problems.push(format!("`{module}` is not in the README's layer list"));
            continue;
        };
        for (path, code) in files {
            for imported in imports(code) {
                if imported == *module || imported == "self" || imported == "super" {
                    continue;
                }
                match rank.get(imported.as_str()) {
                    Some(&r) if r <= own => {}
                    Some(_) => problems.push(format!("{}: `{module}` imports `{imported}`, a higher layer", path.display())),
                    None if modules.contains_key(&imported) => {
                        problems.push(format!("{}: `{imported}` is not in the README's layer list", path.display()))
                    }
                    None => {}
                }
            }
        }
    }
    problems
}

/// Import cycles between top-level modules: each group of modules that reach one another
/// (a strongly connected component), with the imports inside it.
fn cycles(modules: &BTreeMap<String, Vec<(PathBuf, String)>>) -> Vec<String> {
    let graph: BTreeMap<&str, BTreeSet<String>> = modules
        .iter()
        .map(|(m, files)| {
            let targets = files.iter().flat_map(|(_, code)| imports(code)).filter(|i| i != m && modules.contains_key(i)).collect();
            (m.as_str(), targets)
        })
        .collect();
    let reach = |from: &str| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_string()];
        while let Some(at) = stack.pop() {
            for next in graph.get(at.as_str()).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    stack.push(next.clone());
                }
            }
        }
        seen
    };
    let reachable: BTreeMap<&str, BTreeSet<String>> = graph.keys().map(|m| (*m, reach(m))).collect();
    let mut groups: BTreeSet<Vec<String>> = BTreeSet::new();
    for (m, from_m) in &reachable {
        let group: Vec<String> =
            from_m.iter().filter(|other| reachable.get(other.as_str()).is_some_and(|r| r.contains(*m))).cloned().collect();
        if !group.is_empty() {
            groups.insert(group);
        }
    }
    groups
        .into_iter()
        .map(|group| {
            let edges: Vec<String> = group
                .iter()
                .flat_map(|a| graph.get(a.as_str()).into_iter().flatten().filter(|b| group.contains(b)).map(move |b| format!("{a} → {b}")))
                .collect();
            format!("{{{}}}: {}", group.join(", "), edges.join(", "))
        })
        .collect()
}

/// Where `src/http` reaches into storage, and where a page leans on the API module instead of
/// a domain function or a leaf helper.
fn http_storage(modules: &BTreeMap<String, Vec<(PathBuf, String)>>) -> Vec<String> {
    let allowed_storage = ["Db", "ReadTx", "WriteTx", "Read", "StorageError"];
    let mut problems = Vec::new();
    for (path, code) in modules.get("http").into_iter().flatten() {
        for (n, line) in code.lines().enumerate() {
            let at = format!("{}:{}", path.display(), n + 1);
            if line.contains("tx.") && line.split("tx.").skip(1).any(|after| after.starts_with(|c: char| c.is_ascii_lowercase())) {
                let before = line.split("tx.").next().unwrap_or("");
                if before.ends_with(|c: char| !c.is_alphanumeric() && c != '_') || before.is_empty() {
                    problems.push(format!("{at}: a transaction call in http: {}", line.trim()));
                }
            }
            if let Some(i) = line.find("crate::storage::") {
                let item: String = line[i + "crate::storage::".len()..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if !allowed_storage.contains(&item.as_str()) {
                    problems.push(format!("{at}: http names `storage::{item}`"));
                }
            }
            if path.to_string_lossy().contains("/views/") && (line.contains("crate::http::api") || line.contains("super::api::")) {
                problems.push(format!("{at}: a page imports the API module: {}", line.trim()));
            }
            if line.contains("::store::") {
                problems.push(format!("{at}: http names a domain's store module: {}", line.trim()));
            }
        }
    }
    problems
}

#[test]
fn layering_follows_the_readme() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).expect("read README.md");
    let layers = readme_layers(&readme);
    assert!(layers.len() > 5, "the README's layer list was not found or is too short: {layers:?}");
    let modules = modules(&root.join("src"));
    let mut problems = upward_imports(&layers, &modules);
    problems.extend(cycles(&modules).into_iter().map(|c| format!("import cycle: {c}")));
    problems.extend(http_storage(&modules));
    assert!(problems.is_empty(), "the layer list in README.md is broken ({}):\n{}", problems.len(), problems.join("\n"));
}

/// The checker itself: a planted upward import, a cycle and a table read in http are found.
#[test]
fn the_checker_finds_planted_problems() {
    let layers = vec![vec!["ids".to_string()], vec!["storage".to_string()], vec!["pos".to_string()], vec!["http".to_string()]];
    let file = |m: &str, code: &str| (m.to_string(), vec![(PathBuf::from(format!("src/{m}/mod.rs")), production_code(code))]);
    let modules: BTreeMap<_, _> = [
        file("ids", "pub struct Id;\n"),
        file("storage", "use crate::ids::Id;\nuse crate::{pos::Sale, ids};\n"),
        file("pos", "use crate::storage::Db;\n#[cfg(test)]\nmod tests {\n    use crate::http::x;\n}\n"),
        file("http", "use crate::pos::Sale;\nfn f() { let v = tx.get(SALES, 1); }\nuse crate::storage::Table;\n"),
    ]
    .into_iter()
    .collect();
    let upward = upward_imports(&layers, &modules);
    assert_eq!(upward, vec!["src/storage/mod.rs: `storage` imports `pos`, a higher layer".to_string()]);
    assert_eq!(cycles(&modules), vec!["{pos, storage}: pos → storage, storage → pos".to_string()]);
    let http = http_storage(&modules);
    assert_eq!(http.len(), 2, "{http:?}");
    assert!(http[0].contains("transaction call") && http[1].contains("storage::Table"), "{http:?}");
}
