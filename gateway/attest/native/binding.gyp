{
  "targets": [
    {
      "target_name": "sha256_batch",
      "sources": ["sha256-batch.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
