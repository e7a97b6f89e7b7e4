-- What the headless Neovim tests (nvim_inline.lua, nvim_plugin.lua) share: reading the
-- environment, the verdict and its JSON result, checks that stop the test, the coroutine
-- the test body runs in (sleeping yields to Neovim's main loop), bounded waits, and the
-- test's own position and buffer helpers (done by hand, so that a bug in Neovim's helpers,
-- the plugin's or the server's shows up as a disagreement). Neovim 0.7.2 API.
--
-- Loaded by path from the script beside it:
--   local common = dofile(vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":p:h")
--                         .. "/nvim_common.lua")
--   local T = common.test({ R = R, marker = "E2E", result_path = ..., wait_ms = ... })
--   ...
--   T.run(body)

local uv = vim.loop

local M = {}

function M.getenv(name, default)
  local v = os.getenv(name)
  if v == nil or v == "" then return default end
  return v
end

function M.show(v)
  return vim.inspect(v, { newline = " ", indent = "" })
end

function M.now_ms()
  return uv.hrtime() / 1e6
end

-- A failed check stops the test: later steps depend on earlier ones.
M.Failure = {}
function M.fail(reason)
  error(setmetatable({ reason = reason }, M.Failure), 0)
end

---------------------------------------------------------------------------------------
-- position encodings and buffer text

-- bytes of the UTF-8 character whose first byte is b
function M.char_len(b)
  if b < 0x80 then return 1 elseif b < 0xE0 then return 2 elseif b < 0xF0 then return 3 end
  return 4
end

-- units of `enc` in line:sub(1, byte_col)
function M.units_of(line, byte_col, enc)
  if enc == "utf-8" then return byte_col end
  local n, i = 0, 1
  while i <= byte_col do
    local len = M.char_len(line:byte(i))
    n = n + ((enc == "utf-16" and len == 4) and 2 or 1)
    i = i + len
  end
  return n
end

-- the buffer text expected: base lines with `text` (may hold newlines) inserted at
-- (row, byte col)
function M.inserted(base, row, col, text)
  local out = {}
  for i = 1, row do out[i] = base[i] end
  local line = base[row + 1]
  local parts = vim.split(text, "\n", true)
  parts[1] = line:sub(1, col) .. parts[1]
  parts[#parts] = parts[#parts] .. line:sub(col + 1)
  for _, p in ipairs(parts) do table.insert(out, p) end
  for i = row + 2, #base do table.insert(out, base[i]) end
  return out
end

---------------------------------------------------------------------------------------
-- the test: verdict, checks, coroutine, waits
--
-- opts.R            the result table (gets ok, reason and checks), written as JSON
-- opts.marker       the verdict printed: "<marker> OK" or "<marker> FAIL: reason"
-- opts.result_path  where to write the result (nil: nowhere)
-- opts.wait_ms      the default bound of wait_for
-- opts.on_finish    called once before the result is written (e.g. to stop the client)

function M.test(opts)
  local R = opts.R
  R.checks = R.checks or {}
  local T = {}
  local finished = false
  local co

  local function write_result()
    if not opts.result_path then return end
    local ok, encoded = pcall(vim.json.encode, R)
    if not ok then
      encoded = vim.json.encode({ ok = false, reason = "cannot encode result: " .. tostring(encoded) })
    end
    local f = io.open(opts.result_path, "w")
    if f then
      f:write(encoded)
      f:close()
    end
  end

  function T.finish(ok, reason)
    if finished then return end
    finished = true
    R.ok = ok
    R.reason = reason
    if opts.on_finish then opts.on_finish() end
    write_result()
    io.stdout:write(ok and (opts.marker .. " OK\n") or (opts.marker .. " FAIL: " .. tostring(reason) .. "\n"))
    io.stdout:flush()
    vim.schedule(function()
      vim.cmd(ok and "qa!" or "cq!")
    end)
  end

  function T.check(name, cond, detail)
    table.insert(R.checks, { name = name, ok = cond and true or false, detail = detail })
    if not cond then
      M.fail(name .. (detail and (": " .. detail) or ""))
    end
  end

  local function resume()
    if finished then return end
    local ok, err = coroutine.resume(co)
    if not ok then
      if getmetatable(err) == M.Failure then
        T.finish(false, err.reason)
      else
        T.finish(false, "script error: " .. tostring(err) .. "\n" .. debug.traceback(co))
      end
    elseif coroutine.status(co) == "dead" and not finished then
      T.finish(false, "test body ended without a verdict")
    end
  end

  -- runs body() in the coroutine: now, or from the main loop when `deferred`
  function T.run(body, deferred)
    co = coroutine.create(body)
    if deferred then vim.schedule(resume) else resume() end
  end

  function T.sleep(ms)
    vim.defer_fn(resume, ms)
    coroutine.yield()
  end

  -- waits until cond() is true; false on timeout (default opts.wait_ms). poll(), when
  -- given, runs before each look at the clock (it may fail()).
  function T.wait_for(cond, timeout_ms, poll)
    local deadline = M.now_ms() + (timeout_ms or opts.wait_ms)
    while not cond() do
      if poll then poll() end
      if M.now_ms() >= deadline then return false end
      T.sleep(10)
    end
    return true
  end

  return T
end

return M
