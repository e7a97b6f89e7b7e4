-- Options of require("infilld").setup(), their defaults and validation.

local M = {}

M.defaults = {
  -- The model folder (sent as initializationOptions.model). Unset: the server falls back
  -- to $INFILLD_MODEL.
  model = nil,
  -- The infilld binary. Unset: $INFILLD_BIN, then `infilld` on $PATH, then the
  -- repository's build/infilld next to this plugin (editors/nvim/../../build/infilld).
  bin = nil,
  -- The whole server command; overrides `bin` (default: { bin, "lsp" }).
  cmd = nil,
  -- More initializationOptions (docs/lsp.md, Settings), e.g. { maxTokens = 64, device = "cuda" }.
  settings = {},
  -- Render infilld/completionUpdate notifications while a suggestion is being denoised.
  streaming = false,
  -- Wait this long after the last keystroke before requesting a suggestion.
  debounce_ms = 100,
  -- Request suggestions while typing; false: only with keys.trigger.
  auto_trigger = true,
  -- Position encodings offered to the server, preferred first (it picks the first it
  -- supports). UTF-8 is Neovim's own and needs no conversion.
  position_encodings = { "utf-8", "utf-16", "utf-32" },
  -- Filetypes: ft = true/false; "*" is the default for the others.
  filetypes = { ["*"] = true, help = false, gitcommit = false, gitrebase = false, hgcommit = false },
  -- Insert-mode keys; false disables one. accept falls back to the key's own behaviour
  -- (or to what it was mapped to before setup) when no suggestion is shown.
  keys = {
    accept = "<Tab>",
    accept_word = "<C-Right>",
    accept_line = "<C-Down>",
    dismiss = "<C-]>",
    trigger = "<M-\\>",
  },
  -- "auto": vim.lsp.inline_completion on Neovim 0.12+, this plugin's renderer before;
  -- "native" or "builtin" force one (native needs 0.12+).
  renderer = "auto",
  -- Highlight of the ghost text (grey unless the colour scheme or the user defines it).
  hl_group = "InfilldSuggestion",
  -- Start the server at setup(); false: at the first eligible buffer.
  start_at_setup = true,
}

local function is_list_of_strings(t)
  if type(t) ~= "table" then return false end
  for _, v in ipairs(t) do
    if type(v) ~= "string" then return false end
  end
  return true
end

local checks = {
  model = function(v) return v == nil or type(v) == "string", "a folder path" end,
  bin = function(v) return v == nil or type(v) == "string", "a path" end,
  cmd = function(v) return v == nil or is_list_of_strings(v), "a list of strings" end,
  settings = function(v) return type(v) == "table", "a table" end,
  streaming = function(v) return type(v) == "boolean", "a boolean" end,
  debounce_ms = function(v) return type(v) == "number" and v >= 0, "a number >= 0" end,
  auto_trigger = function(v) return type(v) == "boolean", "a boolean" end,
  position_encodings = function(v) return is_list_of_strings(v), "a list of strings" end,
  filetypes = function(v) return type(v) == "table", "a table" end,
  keys = function(v) return type(v) == "table", "a table" end,
  renderer = function(v)
    return v == "auto" or v == "native" or v == "builtin", '"auto", "native" or "builtin"'
  end,
  hl_group = function(v) return type(v) == "string", "a highlight group name" end,
  start_at_setup = function(v) return type(v) == "boolean", "a boolean" end,
}

--- Merges user options over the defaults. Returns (options, list of problems).
function M.resolve(user)
  user = user or {}
  local problems = {}
  local opts = vim.deepcopy(M.defaults)
  for k, v in pairs(user) do
    local check = checks[k]
    if not check then
      table.insert(problems, string.format("unknown option %q", tostring(k)))
    else
      local ok, want = check(v)
      if not ok then
        table.insert(problems, string.format("option %s: expected %s, got %s", k, want, vim.inspect(v)))
      elseif k == "keys" or k == "filetypes" then
        opts[k] = vim.tbl_extend("force", opts[k], v)
      else
        opts[k] = vim.deepcopy(v)
      end
    end
  end
  return opts, problems
end

--- The infilld binary to run and how it was found: (path or nil, where).
function M.find_binary(opts)
  if opts.cmd and opts.cmd[1] then
    local exe = vim.fn.exepath(opts.cmd[1])
    return exe ~= "" and exe or opts.cmd[1], "setup{cmd}"
  end
  if opts.bin then
    local exe = vim.fn.exepath(opts.bin)
    return exe ~= "" and exe or opts.bin, "setup{bin}"
  end
  local env = os.getenv("INFILLD_BIN")
  if env and env ~= "" then return env, "$INFILLD_BIN" end
  local exe = vim.fn.exepath("infilld")
  if exe ~= "" then return exe, "$PATH" end
  -- the repository's build next to this plugin: <repo>/editors/nvim/lua/infilld/config.lua
  local here = debug.getinfo(1, "S").source:sub(2)
  local repo = vim.fn.fnamemodify(here, ":p:h:h:h:h:h")
  local built = repo .. "/build/infilld"
  if vim.fn.executable(built) == 1 then return built, "the repository's build/" end
  return nil, "not found (set setup{bin = ...}, $INFILLD_BIN or put infilld on $PATH)"
end

--- The model folder and where it comes from: (path or nil, where).
function M.model_dir(opts)
  if opts.model then return vim.fn.expand(opts.model), "setup{model}" end
  if type(opts.settings) == "table" and type(opts.settings.model) == "string" then
    return vim.fn.expand(opts.settings.model), "setup{settings.model}"
  end
  local env = os.getenv("INFILLD_MODEL")
  if env and env ~= "" then return env, "$INFILLD_MODEL" end
  return nil, "not configured: infilld's default model"
end

return M
