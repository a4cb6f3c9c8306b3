# fluent-bit built from source: nixpkgs' recipe (its dependencies, FLB_PREFER_SYSTEM_LIBS and
# the systemd unit directory), with the source swapped for the pinned revision: upstream
# v5.1.1 by default, the fork through the one override in flake.nix (`source`).
#
# nixpkgs' recipe was written for 4.x. What 5.x changes in the build (fluent-bit's
# CMakeLists.txt, cmake/ and src/CMakeLists.txt between v4.0.10 and v5.1.1), and what that
# means here:
#   - ripser and simdutf are C++ and on when CMake finds a C++ compiler: stdenv has one;
#   - yyjson is new and always bundled; libbacktrace moved to cmake/libbacktrace.cmake, still
#     taking the system library under FLB_PREFER_SYSTEM_LIB_BACKTRACE;
#   - zstd is looked up with find_package(ZSTD) first, then pkg-config libzstd as before;
#   - WAMR 2.4.1's CMake can FetchContent (simde, zydis, asmjit, uvwasi) only for features
#     fluent-bit leaves off (src/wasm/CMakeLists.txt sets WAMR_BUILD_SIMD 0, no JIT, WASI
#     libc not uvwasi), so the build stays offline;
#   - FLB_SIMD is now Auto (on for x86_64), fine for the VM.
# Patches nixpkgs carries are for its 4.x source and are dropped.
{
  fluent-bit,
  fetchFromGitHub,
  source,
}:
fluent-bit.overrideAttrs (_old: {
  inherit (source) version;
  src = fetchFromGitHub {
    inherit (source)
      owner
      repo
      rev
      hash
      ;
  };
  patches = [ ];
})
