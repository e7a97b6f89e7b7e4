"""Where the training corpus comes from: Debian packages and npm packages, all permissive.

Each source yields (relative path, language, raw bytes) for its candidate files, and
knows its package name, version and licence (SPDX). Debian packages are listed with
`dpkg -L` (so every file is that package's own); the licence of each was checked against
/usr/share/doc/<package>/copyright, and the few files with other terms are excluded here.
npm packages are fetched with `npm pack` (cached as .tgz) and read from the tarball; their
licence is the package.json `license` field, accepted only when it is permissive.

Standard library only.
"""
import json
import os
import subprocess
import tarfile

# Extension -> language. ".h" belongs to the source's `h_language` (C or C++).
EXT_LANGUAGE = {
    ".py": "python", ".go": "go", ".rs": "rust",
    ".c": "c", ".h": None,
    ".cc": "cpp", ".cpp": "cpp", ".cxx": "cpp", ".hpp": "cpp", ".hh": "cpp", ".hxx": "cpp",
    ".ipp": "cpp", ".inl": "cpp", ".tcc": "cpp",
    ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "javascript",
    ".ts": "typescript", ".tsx": "typescript", ".mts": "typescript", ".cts": "typescript",
}
LANGUAGES = ("python", "go", "rust", "c", "cpp", "javascript", "typescript")

# Python packages in /usr/lib/python3/dist-packages, with their licences (vendored
# copies of other projects, under _vendor/, are left out).
PY_DIST = "/usr/lib/python3/dist-packages"
PYTHON_PACKAGES = [
    ("python3-numpy", "BSD-3-Clause"), ("python3-sympy", "BSD-3-Clause"),
    ("python3-torch", "BSD-3-Clause"), ("python3-networkx", "BSD-3-Clause"),
    ("python3-django", "BSD-3-Clause"), ("python3-sqlalchemy", "MIT"),
    ("python3-mypy", "MIT"), ("python3-setuptools", "MIT"), ("python3-pip", "MIT"),
    ("python3-requests", "Apache-2.0"), ("python3-urllib3", "MIT"),
    ("python3-pygments", "BSD-2-Clause"), ("python3-attr", "MIT"),
    ("python3-click", "BSD-3-Clause"), ("python3-yaml", "MIT"),
    ("python3-dateutil", "BSD-3-Clause"), ("python3-jinja2", "BSD-3-Clause"),
    ("python3-flask", "BSD-3-Clause"), ("python3-werkzeug", "BSD-3-Clause"),
    ("python3-tornado", "Apache-2.0"), ("python3-jedi", "MIT"), ("python3-parso", "MIT"),
]

# Debian packages. `packages`: whose files to take (dpkg -L); `version_of`: the package
# whose version is recorded; `root`: the folder paths are made relative to; `include`:
# path prefixes under root (empty: all); `exclude`: substrings of the relative path.
DEBIAN_SOURCES = [
    dict(name="python3.11-stdlib", version_of="libpython3.11-stdlib",
         packages=["libpython3.11-minimal", "libpython3.11-stdlib", "python3-lib2to3",
                   "python3-distutils", "python3.11-venv"],
         root="/usr/lib/python3.11", exts=(".py",), licence="PSF-2.0",
         exclude=("dist-packages/", "site-packages/", "lib2to3/tests/data/")),
    *[dict(name=pkg, packages=[pkg], root=PY_DIST, exts=(".py",), licence=lic,
           exclude=("/_vendor/",)) for pkg, lic in PYTHON_PACKAGES],
    dict(name="python3.11-headers", packages=["libpython3.11-dev"],
         root="/usr/include/python3.11", exts=(".h",), h_language="c", licence="PSF-2.0"),
    # idct.go carries the MPEG licence; testdata/ holds deliberately odd inputs.
    dict(name="golang-1.19-src", packages=["golang-1.19-src"], root="/usr/share/go-1.19",
         include=("src/",), exts=(".go", ".c", ".h"), h_language="c",
         licence="BSD-3-Clause", exclude=("/testdata/", "src/image/jpeg/idct.go")),
    # The standard library, the compiler and the tools (rustdoc, clippy, rustfmt); not the
    # UI test suite (src/test: thousands of deliberately broken snippets).
    dict(name="rust-src", packages=["rust-src"], root="/usr/src/rustc-1.63.0",
         include=("library/", "compiler/", "src/librustdoc/", "src/bootstrap/", "src/tools/"),
         exts=(".rs", ".py", ".js", ".c", ".cpp", ".h"), h_language="cpp",
         licence="MIT OR Apache-2.0", exclude=("/tests/", "/test/ui/", "/vendor/")),
    # preprocessed/ folders are generated expansions of the real headers.
    dict(name="libboost1.81-dev", packages=["libboost1.81-dev"], root="/usr/include/boost",
         exts=(".hpp", ".ipp", ".h"), h_language="cpp", licence="BSL-1.0",
         exclude=("/preprocessed/",)),
    dict(name="libabsl-dev", packages=["libabsl-dev"], root="/usr/include/absl",
         exts=(".h", ".inc", ".cc"), h_language="cpp", licence="Apache-2.0"),
    dict(name="googletest", packages=["googletest"], root="/usr/src/googletest",
         exts=(".h", ".cc", ".cpp"), h_language="cpp", licence="BSD-3-Clause"),
    dict(name="nlohmann-json3-dev", packages=["nlohmann-json3-dev"],
         root="/usr/include/nlohmann", exts=(".hpp",), licence="MIT"),
    dict(name="libfmt-dev", packages=["libfmt-dev"], root="/usr/include/fmt",
         exts=(".h",), h_language="cpp", licence="MIT"),
    dict(name="musl-dev", packages=["musl-dev"], root="/usr/include/x86_64-linux-musl",
         exts=(".h",), h_language="c", licence="MIT"),
    dict(name="libstb-dev", packages=["libstb-dev"], root="/usr/include/stb",
         exts=(".h", ".c"), h_language="c", licence="MIT"),
    dict(name="libsodium-dev", packages=["libsodium-dev"], root="/usr/include",
         include=("sodium",), exts=(".h",), h_language="c", licence="ISC"),
    dict(name="libuv1-dev", packages=["libuv1-dev"], root="/usr/include",
         include=("uv",), exts=(".h",), h_language="c", licence="MIT"),
    dict(name="libzstd-dev", packages=["libzstd-dev"], root="/usr/include",
         exts=(".h",), h_language="c", licence="BSD-3-Clause"),
    dict(name="liblz4-dev", packages=["liblz4-dev"], root="/usr/include",
         exts=(".h",), h_language="c", licence="BSD-2-Clause"),
    dict(name="libxxhash-dev", packages=["libxxhash-dev"], root="/usr/include",
         exts=(".h",), h_language="c", licence="BSD-2-Clause"),
    dict(name="libcjson-dev", packages=["libcjson-dev"], root="/usr/include",
         exts=(".h",), h_language="c", licence="MIT"),
]

# The Debian packages the corpus reads (for scripts/install_deps.sh).
APT_PACKAGES = ["golang-1.19-src", "rust-src", "libboost1.81-dev", "libabsl-dev",
                "googletest", "nlohmann-json3-dev", "libfmt-dev", "musl-dev", "libstb-dev",
                "libsodium-dev", "libuv1-dev", "libzstd-dev", "liblz4-dev", "libxxhash-dev",
                "libcjson-dev", "python3.11-dev", "python3-regex"] + [
                    p for p, _ in PYTHON_PACKAGES]

# Popular npm packages (latest version at build time; the manifest records it). Those
# whose package.json licence is not permissive are skipped and reported.
NPM_PACKAGES = [
    # utilities
    "lodash", "underscore", "ramda", "async", "bluebird", "moment", "dayjs", "date-fns",
    "luxon", "uuid", "nanoid", "chalk", "commander", "yargs", "minimist", "debug", "semver",
    "glob", "minimatch", "micromatch", "fs-extra", "graceful-fs", "mkdirp", "qs", "cookie",
    "immutable", "immer", "deepmerge", "eventemitter3", "p-limit", "lru-cache", "tslib",
    # servers, clients, data
    "express", "koa", "fastify", "body-parser", "ws", "socket.io", "axios", "node-fetch",
    "superagent", "cheerio", "mongoose", "sequelize", "knex", "pg", "mysql2", "ioredis",
    "graphql", "typeorm", "@trpc/server", "hono",
    # front end
    "react", "react-dom", "preact", "vue", "svelte", "lit", "solid-js", "redux",
    "@reduxjs/toolkit", "mobx", "zustand", "@tanstack/query-core", "jquery", "three",
    "d3-array", "d3-scale", "d3-shape", "chart.js", "leaflet", "marked", "markdown-it",
    "highlight.js", "handlebars", "mustache", "ejs",
    # types and validation
    "typescript", "@types/node", "@types/react", "@types/express", "zod", "yup", "joi",
    "ajv", "io-ts", "fp-ts", "effect", "rxjs", "inversify", "class-validator",
    "class-transformer", "superstruct", "ts-pattern",
    # tooling
    "eslint", "acorn", "espree", "esprima", "estraverse", "@babel/traverse",
    "@babel/generator", "@babel/types", "webpack", "rollup", "terser", "postcss",
    "mocha", "chai", "sinon", "jest-circus", "@nestjs/core", "@nestjs/common",
    # with C / C++ sources
    "tree-sitter", "node-addon-api", "nan", "bufferutil", "utf-8-validate", "bcrypt",
    "node-pty", "canvas", "better-sqlite3", "leveldown",
]

# The licences an npm package may declare (the Debian sources' are checked by hand above).
PERMISSIVE = {"MIT", "ISC", "BSD-2-Clause", "BSD-3-Clause", "0BSD", "Apache-2.0"}


ALIASES = {"apache 2.0": "Apache-2.0", "apache-2": "Apache-2.0", "apache2": "Apache-2.0",
           "apache license 2.0": "Apache-2.0", "apache license, version 2.0": "Apache-2.0",
           "bsd-2": "BSD-2-Clause", "bsd-3": "BSD-3-Clause", "mit license": "MIT",
           "the mit license": "MIT", "isc license": "ISC"}


def spdx(name):
    """A licence name with a few common non-SPDX spellings mapped to SPDX."""
    return ALIASES.get(name.strip().lower(), name.strip()) if isinstance(name, str) else name


def licence_ok(expr):
    """True if an SPDX expression is permissive: an OR is fine when one side is, an AND
    (or a plain list) only when every part is."""
    if not isinstance(expr, str) or not expr.strip():
        return False
    text = expr.replace("(", " ").replace(")", " ")
    if " OR " in text or " or " in text:
        parts = text.replace(" or ", " OR ").split(" OR ")
        return any(licence_ok(p) for p in parts)
    parts = text.replace(" and ", " AND ").split(" AND ")
    return all(spdx(p) in PERMISSIVE for p in parts)


def npm_licence(meta):
    """The licence string of a package.json (license, or the old licenses list)."""
    lic = meta.get("license")
    if isinstance(lic, dict):
        lic = lic.get("type")
    if lic is None and isinstance(meta.get("licenses"), list):
        names = [l.get("type") if isinstance(l, dict) else l for l in meta["licenses"]]
        lic = " OR ".join(str(n) for n in names if n)
    return spdx(lic) if isinstance(lic, str) else None


def language_of(path, h_language="c"):
    base = os.path.basename(path)
    ext = os.path.splitext(base)[1].lower()
    if ext == ".h":
        return h_language
    if ext == ".inc":
        return h_language  # absl's .inc are C++ fragments
    return EXT_LANGUAGE.get(ext)


def dpkg_version(package):
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f", "${Status}\t${Version}", package],
                             capture_output=True, text=True, check=False).stdout
    except OSError:
        return None
    status, _, version = out.partition("\t")
    return version if status.endswith(" installed") and version else None


def dpkg_files(package):
    try:
        proc = subprocess.run(["dpkg", "-L", package], capture_output=True, text=True,
                              check=False)
    except OSError:
        return []
    return proc.stdout.splitlines() if proc.returncode == 0 else []


class DebianSource:
    def __init__(self, spec):
        self.spec = spec
        self.name = spec["name"]
        self.licence = spec["licence"]
        self.version = dpkg_version(spec.get("version_of", spec["packages"][0]))

    def available(self):
        return self.version is not None

    def files(self):
        """Sorted (relative path, absolute path, language) of the candidate files."""
        s = self.spec
        root = s["root"].rstrip("/") + "/"
        include, exclude = s.get("include", ()), s.get("exclude", ())
        h_language = s.get("h_language", "c")
        found = set()
        for package in s["packages"]:
            for path in dpkg_files(package):
                if not path.startswith(root) or not path.endswith(tuple(s["exts"])):
                    continue
                rel = path[len(root):]
                if include and not rel.startswith(tuple(include)):
                    continue
                if any(x in "/" + rel for x in exclude):
                    continue
                lang = language_of(rel, h_language)
                if lang and os.path.isfile(path) and not os.path.islink(path):
                    found.add((rel, path, lang))
        return sorted(found)

    def read(self, abs_path):
        with open(abs_path, "rb") as f:
            return f.read()


def npm_fetch(names, cache_dir, log):
    """Packs each npm package into cache_dir (once); returns {name: tarball path}."""
    os.makedirs(cache_dir, exist_ok=True)
    index_path = os.path.join(cache_dir, "index.json")
    index = {}
    if os.path.exists(index_path):
        with open(index_path) as f:
            index = json.load(f)
    missing = [n for n in names
               if n not in index or not os.path.exists(os.path.join(cache_dir, index[n]))]
    for i in range(0, len(missing), 12):
        batch = missing[i:i + 12]
        for attempt in ([batch] if len(batch) > 1 else []) + [[n] for n in batch]:
            if all(n in index for n in attempt):
                continue
            proc = subprocess.run(["npm", "pack", "--json", "--ignore-scripts",
                                   "--pack-destination", cache_dir] + attempt,
                                  capture_output=True, text=True, cwd=cache_dir)
            if proc.returncode != 0:
                if len(attempt) == 1:
                    log("npm pack %s failed: %s" % (attempt[0], proc.stderr.strip()[-300:]))
                continue
            try:
                for entry in json.loads(proc.stdout):
                    index[entry["name"]] = entry["filename"]
            except (ValueError, KeyError, TypeError):
                log("npm pack %s: unreadable output" % attempt)
                continue
            if len(attempt) > 1:
                break
    with open(index_path, "w") as f:
        json.dump(index, f, indent=1, sort_keys=True)
    return {n: os.path.join(cache_dir, index[n]) for n in names if n in index}


class NpmSource:
    """One npm package, from its tarball (network) or its installed folder (local)."""

    def __init__(self, tarball=None, folder=None):
        self.tarball, self.folder = tarball, folder
        self._members = {}
        meta = {}
        if tarball:
            # Read in archive order: random access into a .tgz re-inflates from the start.
            with tarfile.open(tarball, "r:gz") as tar:
                for m in tar:
                    if not m.isfile():
                        continue
                    rel = m.name.split("/", 1)[1] if "/" in m.name else m.name
                    if rel == "package.json" or (language_of(rel) and "node_modules/" not in rel):
                        self._members[rel] = tar.extractfile(m).read()
            try:
                meta = json.loads(self._members.get("package.json", b"{}").decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                meta = {}
        else:
            try:
                with open(os.path.join(folder, "package.json"), encoding="utf-8") as f:
                    meta = json.load(f)
            except (OSError, ValueError):
                meta = {}
        self.name = "npm:" + str(meta.get("name", os.path.basename(folder or tarball or "")))
        self.version = str(meta.get("version", "")) or None
        self.licence = npm_licence(meta)

    def available(self):
        return self.version is not None

    def licence_ok(self):
        return licence_ok(self.licence)

    def files(self):
        out = []
        if self.tarball:
            rels = list(self._members)
        else:
            rels = []
            for dirpath, dirnames, filenames in os.walk(self.folder):
                dirnames[:] = sorted(d for d in dirnames if d != "node_modules")
                for fn in filenames:
                    rels.append(os.path.relpath(os.path.join(dirpath, fn), self.folder))
        rels = [r for r in rels if "node_modules/" not in r]
        # A package with C++ files has C++ headers; otherwise its .h are C.
        h_language = "cpp" if any(language_of(r) == "cpp" for r in rels) else "c"
        for rel in rels:
            lang = language_of(rel, h_language)
            if lang:
                out.append((rel, rel, lang))
        return sorted(out)

    def read(self, rel):
        if self.tarball:
            return self._members[rel]
        with open(os.path.join(self.folder, rel), "rb") as f:
            return f.read()

    def close(self):
        self._members = {}


def local_npm_folders(roots=("/usr/lib/node_modules/npm/node_modules",)):
    """Installed npm packages (npm's own dependencies): JavaScript with no network."""
    out = []
    for root in roots:
        if not os.path.isdir(root):
            continue
        for name in sorted(os.listdir(root)):
            path = os.path.join(root, name)
            if name.startswith("@") and os.path.isdir(path):
                out += [os.path.join(path, n) for n in sorted(os.listdir(path))]
            elif os.path.isfile(os.path.join(path, "package.json")):
                out.append(path)
    return out
