"""The detectors' path normalisation is Node's path.posix (what node-asm's decisions are defined
by): compared with the real Node on paths where Python's posixpath differs."""
import json
import subprocess
import unittest

from sidewatch.detectors import posix_path
from tests.agent_process import NODE

PATHS = ['', '.', './', '/', '//', '///a', '//etc/passwd', '/a/b/', 'a/b/../../..', '../x/', '/a//b/./c/..', 'a/./b/',
         '..', '../..', '/..', '/../a', 'a/..', 'a/../', '~/.ssh/id_rsa', '/srv/app/public/../../etc/', 'x/', 'x']


class PosixPathTest(unittest.TestCase):
    def test_normalize_dirname_join_resolve_match_node(self):
        script = ('const p = require("path").posix; const xs = JSON.parse(process.argv[1]);'
                  'console.log(JSON.stringify(xs.map((x) => [p.normalize(x), p.dirname(x), p.join("/srv/app", x), p.resolve("/srv/app", x)])))')
        out = subprocess.run([NODE, '-e', script, json.dumps(PATHS)], capture_output=True, text=True, check=True).stdout
        for path, (normal, dirname, joined, resolved) in zip(PATHS, json.loads(out)):
            with self.subTest(path=path):
                self.assertEqual(posix_path.normalize(path), normal)
                self.assertEqual(posix_path.dirname(path), dirname)
                self.assertEqual(posix_path.join('/srv/app', path), joined)
                self.assertEqual(posix_path.resolve('/srv/app', path), resolved)


if __name__ == '__main__':
    unittest.main()
