-- :checkhealth infilld
--
-- Reports through vim.health (0.10+: start/ok/warn/error/info; 0.8-0.9: report_*) or,
-- on 0.7, the `health` module's report_* functions.

local config = require("infilld.config")
local util = require("infilld.util")

local M = {}

local function reporter()
  local h = vim.health
  if h and h.start then
    return { start = h.start, ok = h.ok, warn = h.warn, error = h.error, info = h.info }
  end
  h = h and h.report_start and h or require("health")
  return { start = h.report_start, ok = h.report_ok, warn = h.report_warn, error = h.report_error,
           info = h.report_info }
end

-- runs cmd (a list) for at most timeout_ms; returns (exit status or nil on timeout, output)
local function run(cmd, timeout_ms)
  local out = {}
  local function collect(_, data)
    for _, l in ipairs(data or {}) do
      if l ~= "" then table.insert(out, l) end
    end
  end
  local ok, job = pcall(vim.fn.jobstart, cmd, { stdout_buffered = true, stderr_buffered = true,
                                                on_stdout = collect, on_stderr = collect })
  if not ok or job <= 0 then return -1, "cannot run " .. table.concat(cmd, " ") end
  pcall(vim.fn.chanclose, job, "stdin") -- never the language server on a pipe
  local code = vim.fn.jobwait({ job }, timeout_ms)[1]
  if code == -1 then
    vim.fn.jobstop(job)
    return nil, "timed out"
  end
  return code, table.concat(out, "\n")
end

function M.check()
  local r = reporter()
  local infilld = require("infilld")
  local opts = infilld.options

  r.start("infilld: Neovim")
  local v = util.version()
  local vs = string.format("%d.%d.%d", v[1], v[2], v[3])
  if util.has_version(0, 7) then
    r.ok("Neovim " .. vs)
  else
    r.error("Neovim " .. vs .. ": infilld needs 0.7 or newer")
  end
  if util.has_version(0, 12) and vim.lsp.inline_completion then
    r.info("vim.lsp.inline_completion is available (Neovim 0.12+)")
  else
    r.info("no vim.lsp.inline_completion before Neovim 0.12: the plugin's own renderer is used")
  end

  r.start("infilld: setup")
  if not opts then
    r.error("require(\"infilld\").setup({ model = \"/path/to/model\" }) has not been called")
    opts = config.resolve({})
  else
    r.ok("setup() called")
  end
  local renderer = infilld.renderer
  if renderer == "native" then
    r.ok("renderer: " .. require("infilld.native").describe())
  elseif renderer == "builtin" then
    r.ok("renderer: the plugin's own, " .. require("infilld.ghost").describe())
  end

  r.start("infilld: server binary")
  local bin, from = config.find_binary(opts)
  if not bin then
    r.error("infilld binary " .. from)
  elseif vim.fn.executable(bin) ~= 1 then
    r.error(string.format("%s (%s) is not executable", bin, from))
  else
    local code, out = run({ bin, "--help" }, 5000)
    if code == 0 and out:find("usage: infilld", 1, true) then
      r.ok(string.format("%s (%s) runs", bin, from))
    else
      r.error(string.format("`%s --help` failed (status %s): %s", bin, tostring(code), out:sub(1, 300)))
    end
  end

  r.start("infilld: model")
  local model, mfrom = config.model_dir(opts)
  if not model then
    -- Not configured: infilld looks in the user data dir, the installed share/infilld and
    -- its source tree (src/cli/model_dir.h); `infilld info` says which folder it found.
    if bin and vim.fn.executable(bin) == 1 then
      local code, out = run({ bin, "info" }, 20000)
      local found = code == 0 and out:match("model%s+([^\n]+)")
      if found then
        r.ok(string.format("%s (infilld's default model; setup({ model = ... }) to choose another)", found))
      else
        r.error("no model folder: setup({ model = \"/path/to/model\" }) or $INFILLD_MODEL; infilld says: "
                .. out:sub(1, 300))
      end
    else
      r.error("no model folder: setup({ model = \"/path/to/model\" }) or $INFILLD_MODEL")
    end
  elseif vim.fn.isdirectory(model) ~= 1 then
    r.error(string.format("%s (%s) is not a folder", model, mfrom))
  elseif vim.fn.filereadable(model .. "/config.json") ~= 1 then
    r.warn(string.format("%s (%s) has no config.json: is it a model folder?", model, mfrom))
  else
    r.ok(string.format("%s (%s)", model, mfrom))
    if bin and vim.fn.executable(bin) == 1 then
      local code, out = run({ bin, "info", "--model", model }, 20000)
      if code == 0 then
        local arch = out:match("architecture%s+([^\n]+)") or "?"
        local size = out:match("parameters%s+([^\n]+)") or "?"
        r.ok(string.format("`infilld info` reads it: %s, %s parameters", arch, size))
      else
        r.error(string.format("`infilld info --model %s` failed (status %s): %s", model, tostring(code),
                              out:sub(1, 300)))
      end
    end
  end

  r.start("infilld: server")
  local c = infilld.client()
  if c then
    r.ok(string.format("running: client id %d, position encoding %s, state %s", c.id,
                       tostring(c.offset_encoding), require("infilld.status").describe()))
  else
    r.info("not running (it starts with the first file opened after setup)")
  end
end

return M
