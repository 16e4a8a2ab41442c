#pragma once
// What the libFuzzer harnesses share. The contract under test: a loader given bad bytes throws
// sinklab::Error, and its message names the file. Any other exception escapes the harness
// (std::terminate: libFuzzer reports a crash), as do sanitizer reports, leaks and timeouts.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace sinklab::fuzz {

// Where harnesses that take two files split their input: before it the first file, after it the
// second (the seeds carry it, so mutations keep it). Without it, all the input is the first file.
inline constexpr std::string_view separator = "\n----8<----\n";

// A folder of this process under $TMPDIR (or /tmp), made on first use, reused between inputs,
// removed at a normal exit. scripts/fuzz.sh points TMPDIR at a folder of its own, so the
// folders of crashed runs are removed too.
const std::filesystem::path& scratch();

void write_bytes(const std::filesystem::path& path, std::string_view bytes);

// The input as text, and cut in two at the first `separator`.
std::string_view as_text(const std::uint8_t* data, std::size_t size);
struct Parts {
  std::string_view first;
  std::optional<std::string_view> second;  // none without a separator
};
Parts split(std::string_view input);

// Runs `load`. A sinklab::Error passes when its message contains one of `names` (the files the
// loader was given); one naming none of them aborts the run, and any other exception escapes.
// With SINKLAB_FUZZ_ECHO set, it prints what the loader said ("accepted" or the error), to see
// what becomes of given inputs: SINKLAB_FUZZ_ECHO=1 build/fuzz/fuzz_npy tests/fuzz/corpus/npy/*
void expect_clean(const std::function<void()>& load, std::initializer_list<std::string> names);

}  // namespace sinklab::fuzz
