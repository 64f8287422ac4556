{
  # chromalite's binding of hnswlib (native/vector_index.cc), built three times on x64: portable (SSE),
  # with AVX2 and with AVX-512F; src/vector/native.ts loads the widest the CPU has (AVX2 about 1.2x
  # faster searches and inserts and 1.6x faster exact scans than SSE; AVX-512 searches a further
  # ~1.15x at 100k x 384). No FMA and no contraction: fused multiply-adds
  # round differently, and distances must stay the float32 values Chroma answers. The hnswlib headers
  # are the ones hnswlib-node ships, so the graph files stay in the format both read.
  # chromalite_fs (native/folder_lock.cc) is flock(2) for the folder lock.
  "target_defaults": {
    "include_dirs": [
      "<!(node -p \"require('node-addon-api').include_dir\")",
      "<!(node -p \"require('path').join(require('path').dirname(require.resolve('hnswlib-node/package.json')), 'src')\")"
    ],
    "defines": ["NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions"],
    # hnswlib's headers warn about their own code (unsigned < 0, an unused AVX-512 probe): not ours to fix.
    "cflags_cc": ["-O3", "-std=c++17", "-ffp-contract=off", "-Wno-type-limits", "-Wno-unused-function"],
    "xcode_settings": {
      "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
      "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
      "OTHER_CFLAGS": ["-O3"]
    },
    "msvs_settings": { "VCCLCompilerTool": { "ExceptionHandling": 1, "AdditionalOptions": ["/std:c++17"] } }
  },
  "targets": [
    { "target_name": "chromalite_vector", "sources": ["native/vector_index.cc"] },
    { "target_name": "chromalite_fs", "sources": ["native/folder_lock.cc"] }
  ],
  "conditions": [
    ["target_arch=='x64'", {
      "targets": [
        {
          "target_name": "chromalite_vector_avx2",
          "sources": ["native/vector_index.cc"],
          "cflags_cc": ["-mavx2", "-ffp-contract=off"],
          "xcode_settings": { "OTHER_CFLAGS": ["-O3", "-mavx2", "-ffp-contract=off"] },
          "msvs_settings": { "VCCLCompilerTool": { "EnableEnhancedInstructionSet": "5" } }
        },
        {
          "target_name": "chromalite_vector_avx512",
          "sources": ["native/vector_index.cc"],
          "cflags_cc": ["-mavx512f", "-ffp-contract=off", "-Wno-unused-variable", "-Wno-uninitialized"],
          "xcode_settings": { "OTHER_CFLAGS": ["-O3", "-mavx512f", "-ffp-contract=off"] },
          "msvs_settings": { "VCCLCompilerTool": { "AdditionalOptions": ["/arch:AVX512"] } }
        }
      ]
    }]
  ]
}
