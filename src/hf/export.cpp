#include "hf/export.h"

#include <unistd.h>

#include "data/gpt2_tokenizer.h"
#include "data/tokenizer_files.h"
#include "engine/error.h"
#include "hf/architecture.h"
#include "hf/checkpoint_files.h"
#include "hf/weight_names.h"
#include "io/atomic_file.h"
#include "io/json_parse.h"
#include "train/run_folder.h"
#include "train/saved_run.h"

namespace sinklab::hf {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Removes the temporary folder unless the export finished.
struct PartialFolder {
  fs::path path;
  bool done = false;
  ~PartialFolder() {
    std::error_code ec;
    if (!done) fs::remove_all(path, ec);
  }
};

// The transformers tokenizer classes that read sinklab's tokenizer files.
constexpr const char* gpt2_tokenizer_class = "GPT2Tokenizer";
constexpr const char* llama_tokenizer_class = "LlamaTokenizer";

void write_json(const fs::path& file, const json& value) { io::write_file_atomic(file, value.dump(2) + "\n"); }

// The run's tokenizer in a form transformers loads; returns what the person should know.
std::string write_tokenizer(const train::LoadedRun& run, const fs::path& run_dir, const fs::path& out) {
  const std::string& kind = run.config.data.tokenizer;
  const data::Tokenizer& tok = *run.tokenizer;
  if (data::is_hf_tokenizer(kind)) {
    const auto files = data::tokenizer_files(kind);
    for (const auto* list : {&files.required, &files.optional})
      for (const auto& f : *list)
        if (fs::is_regular_file(run_dir / f)) fs::copy_file(run_dir / f, out / f);
    // The model's context, which an import may have cut: transformers refuses longer inputs by it.
    json config = fs::exists(out / data::hf_tokenizer_config_file)
                      ? io::read_json_file(out / data::hf_tokenizer_config_file, "the tokenizer config")
                      : json{{"tokenizer_class", kind == "gpt2" ? gpt2_tokenizer_class : llama_tokenizer_class}};
    if (!config.is_object()) fail("{}: not a JSON object", (run_dir / data::hf_tokenizer_config_file).string());
    config["model_max_length"] = run.config.data.context;
    write_json(out / data::hf_tokenizer_config_file, config);
    return "";
  }
  if (run.config.data.name == "random" || run.config.data.name == "synthetic")
    return fmt::format("no tokenizer written: data.name {} feeds ids directly (BOS {}, EOS {})", run.config.data.name, tok.bos(), tok.eos());
  if (kind == "bpe") {
    fs::copy_file(run_dir / train::run_tokenizer, out / data::sentencepiece_model_file);
    write_json(out / data::hf_tokenizer_config_file, {{"tokenizer_class", llama_tokenizer_class},
                                                      {"legacy", true},
                                                      {"add_bos_token", true},
                                                      {"model_max_length", run.config.data.context}});
    return "tokenizer.model is sinklab's BPE: sinklab encodes text line by line (a newline is the piece <0x0A>), "
           "LlamaTokenizer the whole text, so ids at the start of a line can differ";
  }
  // Byte level: a GPT-2 vocabulary of the 256 byte symbols and no merges encodes every byte as its
  // own id, exactly as sinklab's byte tokenizer.
  json vocab = json::object();
  for (int b = 0; b < 256; ++b) vocab[data::gpt2_byte_symbol(static_cast<unsigned char>(b))] = b;
  vocab["<|bos|>"] = tok.bos();
  vocab["<|endoftext|>"] = tok.eos();
  write_json(out / data::gpt2_vocab_file, vocab);
  io::write_file_atomic(out / data::gpt2_merges_file, "#version: 0.2\n");
  write_json(out / data::hf_tokenizer_config_file, {{"tokenizer_class", gpt2_tokenizer_class},
                                                    {"bos_token", "<|bos|>"},
                                                    {"eos_token", "<|endoftext|>"},
                                                    {"unk_token", "<|endoftext|>"},
                                                    {"add_prefix_space", false},
                                                    {"model_max_length", run.config.data.context}});
  return "";
}

}  // namespace

void export_hf(const ExportOptions& opt, std::ostream& log) {
  const train::LoadedRun run = train::load_run(opt.run_dir, opt.step);
  const Architecture arch = architecture_of(run.config.model);
  const nn::ModelConfig model = train::model_config(run.config, *run.tokenizer);
  const io::TensorList tensors = to_hf(run.model->named_parameters(), model, arch);
  if (opt.out.empty()) fail("export hf: --out is empty");
  std::error_code ec;
  if (fs::exists(fs::symlink_status(opt.out)) && !(fs::is_directory(fs::symlink_status(opt.out)) && fs::is_empty(opt.out, ec)))
    fail("{}: already exists; export hf writes a new folder (or into an empty one), it never replaces files", opt.out.string());
  fs::path out = fs::absolute(opt.out).lexically_normal();
  if (out.filename().empty()) out = out.parent_path();  // "dir/"
  if (out.filename() == "." || out.filename() == ".." || out == out.root_path())
    fail("{}: name a new folder to write, not the current, parent or root folder", opt.out.string());
  fs::create_directories(out.parent_path());
  PartialFolder partial{out.parent_path() / fmt::format(".{}.partial-{}", out.filename().string(), ::getpid())};
  fs::create_directory(partial.path);
  write_json(partial.path / config_file, config_json(model, arch, run.tokenizer->bos(), run.tokenizer->eos()));
  write_weights(partial.path, tensors);
  const std::string note = write_tokenizer(run, opt.run_dir, partial.path);
  fs::rename(partial.path, out);
  partial.done = true;
  io::fsync_directory(out.parent_path());
  log << fmt::format("wrote {}: {} from {} at step {}, {} tensors (float32)\n", opt.out.string(), class_name(arch),
                     opt.run_dir.string(), run.step, tensors.size());
  if (!note.empty()) log << "  note: " << note << "\n";
  log << fmt::format("load it with transformers: AutoModelForCausalLM.from_pretrained(\"{}\")\n", out.string());
}

}  // namespace sinklab::hf
