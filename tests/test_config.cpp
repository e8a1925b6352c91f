// Configuration: defaults, file and flag precedence, and errors that name the key.
#include <gtest/gtest.h>

#include <cmath>
#include <tuple>

#include "test_util.h"
#include "train/config.h"
#include "util/error.h"

namespace gan {
namespace {

using testing::ScratchDir;

std::string config_error(const std::string& file, const std::map<std::string, std::string>& flags) {
  try {
    resolve_config(file, flags);
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "accepted";
  return "";
}

void write_text(const std::string& path, const std::string& text) {
  testing::write_bytes(path, std::vector<uint8_t>(text.begin(), text.end()));
}

TEST(Config, DefaultsAreTheSeedsModel) {
  const TrainConfig c = resolve_config("", {});
  EXPECT_EQ(c.batch, 128);
  EXPECT_EQ(c.epochs, 200);
  EXPECT_DOUBLE_EQ(c.lr, 2e-4);
  EXPECT_DOUBLE_EQ(c.beta1, 0.9);
  EXPECT_DOUBLE_EQ(c.beta2, 0.999);
  EXPECT_EQ(c.latent_dim, 100);
  EXPECT_EQ(c.g_hidden, (std::vector<int64_t>{256, 512, 1024}));
  EXPECT_EQ(c.d_hidden, (std::vector<int64_t>{512, 256}));
  EXPECT_DOUBLE_EQ(c.slope, 0.2);
  EXPECT_FALSE(c.drop_last);
  EXPECT_EQ(c.data, "data/mnist");
  EXPECT_EQ(c.resolved.size(), config_keys().size());
}

TEST(Config, FlagsOverrideTheFileWhichOverridesDefaults) {
  ScratchDir dir;
  write_text(dir.path("c.json"), R"({"batch": 64, "lr": 1e-3, "g_hidden": [32, 64], "drop_last": true})");
  const TrainConfig c = resolve_config(dir.path("c.json"), {{"lr", "5e-4"}, {"d_hidden", "16,8"}});
  EXPECT_EQ(c.batch, 64);
  EXPECT_DOUBLE_EQ(c.lr, 5e-4);
  EXPECT_EQ(c.g_hidden, (std::vector<int64_t>{32, 64}));
  EXPECT_EQ(c.d_hidden, (std::vector<int64_t>{16, 8}));
  EXPECT_TRUE(c.drop_last);
}

TEST(Config, RejectsUnknownKeysNamingThem) {
  ScratchDir dir;
  write_text(dir.path("c.json"), R"({"batch_size": 64})");
  const std::string message = config_error(dir.path("c.json"), {});
  EXPECT_NE(message.find("unknown key 'batch_size'"), std::string::npos) << message;
  EXPECT_NE(message.find(dir.path("c.json")), std::string::npos) << message;
}

TEST(Config, RejectsWrongTypes) {
  ScratchDir dir;
  write_text(dir.path("a.json"), R"({"batch": "big"})");
  EXPECT_NE(config_error(dir.path("a.json"), {}).find("key 'batch': expected an integer"), std::string::npos);
  write_text(dir.path("b.json"), R"({"batch": 12.5})");
  EXPECT_NE(config_error(dir.path("b.json"), {}).find("key 'batch'"), std::string::npos);
  write_text(dir.path("c.json"), R"({"g_hidden": [1, "x"]})");
  EXPECT_NE(config_error(dir.path("c.json"), {}).find("key 'g_hidden'"), std::string::npos);
  write_text(dir.path("d.json"), R"([1, 2])");
  EXPECT_NE(config_error(dir.path("d.json"), {}).find("expected a JSON object"), std::string::npos);
  write_text(dir.path("f.json"), R"({"batch": 1e999})");  // out of range for the JSON parser itself
  EXPECT_NE(config_error(dir.path("f.json"), {}).find("not valid JSON"), std::string::npos);
  write_text(dir.path("e.json"), R"({"batch": )");
  EXPECT_NE(config_error(dir.path("e.json"), {}).find("not valid JSON"), std::string::npos);
  EXPECT_NE(config_error("", {{"batch", "12x"}}).find("--batch: expected an integer, got '12x'"), std::string::npos);
  EXPECT_NE(config_error("", {{"drop_last", "maybe"}}).find("--drop-last"), std::string::npos);
  EXPECT_NE(config_error(dir.path("missing.json"), {}).find("no such file"), std::string::npos);
}

TEST(Config, RejectsOutOfRangeValuesNamingTheKey) {
  EXPECT_NE(config_error("", {{"batch", "0"}}).find("--batch: expected an integer in 1.."), std::string::npos);
  EXPECT_NE(config_error("", {{"lr", "-0.1"}}).find("--lr: expected a finite number > 0"), std::string::npos);
  EXPECT_NE(config_error("", {{"lr", "nan"}}).find("--lr"), std::string::npos);
  EXPECT_NE(config_error("", {{"lr", "inf"}}).find("--lr"), std::string::npos);
  EXPECT_NE(config_error("", {{"d_lr", "-1e-4"}}).find("--d-lr: expected a finite number >= 0"), std::string::npos);
  EXPECT_NE(config_error("", {{"beta1", "1"}}).find("--beta1"), std::string::npos);
  EXPECT_NE(config_error("", {{"epochs", "-3"}}).find("--epochs"), std::string::npos);
  EXPECT_NE(config_error("", {{"device", "tpu"}}).find("--device: expected one of auto, cpu, cuda"), std::string::npos);
  EXPECT_NE(config_error("", {{"g_hidden", "256,0"}}).find("--g-hidden"), std::string::npos);
  EXPECT_NE(config_error("", {{"slope", "0"}}).find("--slope"), std::string::npos);
  EXPECT_NE(config_error("", {{"batch", "99999999999"}}).find("--batch"), std::string::npos);
  EXPECT_NE(config_error("", {{"channels", "2"}}).find("--channels: expected 1 (grey) or 3 (colour)"), std::string::npos);
  ScratchDir dir;
  write_text(dir.path("c.json"), R"({"lr": -1})");
  EXPECT_NE(config_error(dir.path("c.json"), {}).find("key 'lr': expected a finite number > 0"), std::string::npos);
}

// The table of rules (train/config.cpp) on itself: every default keeps its key's rule; every
// choice key refuses a value outside its choices and names them; every ranged key refuses the
// values just past its bounds with its own words, and takes the bounds that are closed.
TEST(Config, EveryKeysRuleRefusesWhatItShouldAndNamesTheKey) {
  for (const ConfigKey& key : config_keys()) {
    SCOPED_TRACE(key.key);
    EXPECT_EQ(violation(key.rule, key.default_value), "");
    const std::string flag = "--" + flag_name(key.key) + ": expected ";
    if (!key.rule.choices.empty()) {
      EXPECT_NE(config_error("", {{key.key, "not-a-choice"}}).find(flag + key.rule.expected), std::string::npos);
      for (const std::string& choice : key.rule.choices) EXPECT_EQ(violation(key.rule, choice), "") << choice;
      continue;
    }
    if (key.kind != ValueKind::kInt && key.kind != ValueKind::kFloat) continue;
    const bool integer = key.kind == ValueKind::kInt;
    const double step = integer ? 1 : 1e-9;
    for (const auto& [bound, open, outside] :
         {std::make_tuple(key.rule.min, key.rule.min_open, -step), std::make_tuple(key.rule.max, key.rule.max_open, step)}) {
      if (!std::isfinite(bound) || std::fabs(bound) > 1e15) continue;
      const double past = open ? bound : bound + outside;
      const nlohmann::json value = integer ? nlohmann::json(static_cast<int64_t>(past)) : nlohmann::json(past);
      EXPECT_EQ(violation(key.rule, value), key.rule.expected) << value;
      if (!key.rule.custom) EXPECT_NE(violation(key.rule, value), "") << value;
      if (!open) {
        const nlohmann::json at = integer ? nlohmann::json(static_cast<int64_t>(bound)) : nlohmann::json(bound);
        EXPECT_EQ(violation(key.rule, at), "") << at;
      }
    }
  }
}

TEST(Config, FlagNamesUseDashes) {
  EXPECT_EQ(flag_name("log_every"), "log-every");
  EXPECT_EQ(describe_default(config_keys()[0]), "mlp");
}

}  // namespace
}  // namespace gan
