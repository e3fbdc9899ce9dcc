"""Evidence bundles: building one (manifest, detached CMS, BagIt tag files, zip, VERIFY.txt)
and checking one from abroad (hostile-zip-safe reading, every check listed, signer identity)."""
