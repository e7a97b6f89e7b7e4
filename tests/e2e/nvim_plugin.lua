-- End-to-end test of the Neovim plugin (editors/nvim) in headless Neovim: setup() starts
-- `infilld lsp`, keys typed in Insert mode make the plugin request a suggestion, draw it
-- as ghost text (extmarks) and accept / partially accept / dismiss it with its keys.
--
--   nvim --headless --clean -n -i NONE -c "luafile tests/e2e/nvim_plugin.lua"
--
-- Environment (run by test_nvim_plugin.py):
--   INFILLD_PT_PLUGIN     the plugin folder (editors/nvim), prepended to 'runtimepath'
--   INFILLD_BIN, INFILLD_MODEL_DIR   the binary and the model folder (setup{bin, model})
--   INFILLD_PT_FILE       the source file to open
--   INFILLD_PT_LINE, INFILLD_PT_COL  0-based line and byte column where the user types
--   INFILLD_PT_TYPED      JSON list of strings, typed one character at a time; after each
--                         string the test waits for the plugin's request to be answered
--                         and stops typing once a suggestion is shown
--   INFILLD_PT_KEY_GAP_MS the pause between two typed characters (default 20)
--   INFILLD_PT_SCENARIO   accept | word | dismiss | cancel | health
--   INFILLD_PT_SETUP      JSON merged into the setup() options
--   INFILLD_PT_ENCODING   the position encoding the client must end up with
--   INFILLD_PT_RESULT     where to write the JSON result
--   INFILLD_PT_WAIT_MS    bound on every wait (default 20000)
--
-- Prints "PLUGIN OK" or "PLUGIN FAIL: reason", exits with :qa! or :cq!. Every wait is
-- bounded; the runner also kills Neovim after its own timeout.

local api = vim.api

local common = dofile(vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":p:h") .. "/nvim_common.lua")
local getenv, show, fail = common.getenv, common.show, common.fail

local R = { ok = false, checks = {}, server_messages = {}, statuses = {} }
-- "PLUGIN OK" or "PLUGIN FAIL: reason", the result, :qa! or :cq!; checks; the test body
-- runs in a coroutine, sleeping yields to the main loop
local T = common.test({
  R = R,
  marker = "PLUGIN",
  result_path = getenv("INFILLD_PT_RESULT", nil),
  wait_ms = tonumber(getenv("INFILLD_PT_WAIT_MS", "20000")),
})
local check, finish, sleep, wait_for = T.check, T.finish, T.sleep, T.wait_for

---------------------------------------------------------------------------------------
-- independent helpers (the test's own, so that a plugin bug shows as a disagreement)

local units_of, inserted = common.units_of, common.inserted

local function utf16_len(s) return units_of(s, #s, "utf-16") end

local function split(s) return vim.split(s, "\n", true) end

-- the first word as documented in editors/nvim/README.md (accept word)
local function first_word(s)
  local nl = s:match("^\n[ \t]*")
  if nl then return nl end
  local lead = s:match("^[ \t]*")
  local rest = s:sub(#lead + 1)
  local w = rest:match("^[%w_\128-\255]+") or rest:match("^[^%w_\128-\255%s]+") or ""
  return lead .. w
end

local function first_line(s)
  if s:sub(1, 1) == "\n" then
    local nl = s:find("\n", 2, true)
    return nl and s:sub(1, nl - 1) or s
  end
  local nl = s:find("\n", 1, true)
  return nl and s:sub(1, nl - 1) or s
end

local function end_of(row, col, text)
  local parts = split(text)
  if #parts == 1 then return row, col + #text end
  return row + #parts - 1, #parts[#parts]
end

---------------------------------------------------------------------------------------
-- the plugin

local infilld, completion, ghost, bufnr, client

local function lines() return api.nvim_buf_get_lines(bufnr, 0, -1, true) end
local function cursor() local c = api.nvim_win_get_cursor(0); return c[1] - 1, c[2] end
local function key(k) return api.nvim_replace_termcodes(k, true, false, true) end
-- typed keys, through mappings ("m"), as if typed ("t")
local function press(k) api.nvim_feedkeys(key(k), "mt", false) end
local function type_text(s) api.nvim_feedkeys(s, "nt", true) end

local function marks()
  return api.nvim_buf_get_extmarks(bufnr, ghost.ns, 0, -1, { details = true })
end

local function server_request(method, params)
  local reply
  local c = infilld.client()
  check("the client runs for " .. method, c ~= nil)
  require("infilld.util").call(c, "request", method, params, function(err, result) reply = { err = err, result = result } end, bufnr)
  check("a reply to " .. method, wait_for(function() return reply ~= nil end), method)
  return reply
end

-- Checks the extmarks against the suggestion shown; returns the suggestion.
local function check_ghost(what, enc)
  local s = infilld.get_suggestion()
  check(what .. ": get_suggestion()", s ~= nil and s.text ~= "", show(s))
  local row, col = cursor()
  check(what .. ": suggestion at the cursor", s.row == row and s.col == col,
        show({ s.row, s.col }) .. " vs cursor " .. show({ row, col }))
  local m = marks()
  check(what .. ": one extmark in namespace 'infilld'", #m == 1, show(m))
  check(what .. ": the namespace is named infilld", api.nvim_get_namespaces()["infilld"] == ghost.ns)
  local id, mrow, mcol, d = m[1][1], m[1][2], m[1][3], m[1][4]
  check(what .. ": extmark at the cursor", mrow == row and mcol == col, show({ mrow, mcol }))
  local want_lines = split(s.text)
  local after = lines()[row + 1]:sub(col + 1)
  local vt = d.virt_text or {}
  check(what .. ": virt_text[1] is the suggestion's first line", vt[1] and vt[1][1] == want_lines[1]
        and vt[1][2] == "InfilldSuggestion", show(vt) .. " vs " .. show(want_lines[1]))
  local inline = vim.fn.has("nvim-0.10") == 1
  check(what .. ": virt_text_pos", d.virt_text_pos == (inline and "inline" or "overlay"), show(d.virt_text_pos))
  if not inline and after ~= "" and #want_lines == 1 then
    check(what .. ": the text after the cursor follows the ghost text", vt[2] and vt[2][1] == after, show(vt))
  end
  if #want_lines > 1 then
    local vl = d.virt_lines or {}
    check(what .. ": one virt_line per further line", #vl == #want_lines - 1, show(vl))
    for i = 2, #want_lines do
      check(what .. ": virt_lines[" .. (i - 1) .. "]", vl[i - 1] and vl[i - 1][1]
            and vl[i - 1][1][1] == want_lines[i] and vl[i - 1][1][2] == "InfilldSuggestion", show(vl[i - 1]))
    end
    if not inline and after ~= "" then
      local last = vl[#vl]
      check(what .. ": the text after the cursor follows the last virtual line", last[2] and last[2][1] == after,
            show(last))
    end
  else
    check(what .. ": no virt_lines for a one-line suggestion", d.virt_lines == nil or #d.virt_lines == 0,
          show(d.virt_lines))
  end
  if s.item and s.consumed == 0 then
    local r = s.item.range
    local want = { line = row, character = units_of(lines()[row + 1], col, enc) }
    check(what .. ": item.range.start is the cursor in " .. enc, r and r.start.line == want.line
          and r.start.character == want.character, show(r) .. " vs " .. show(want))
    check(what .. ": item.insertText is the suggestion", s.item.insertText == s.text, show(s.item.insertText))
  end
  return s, id
end

-- Types the strings of typed_list until a suggestion shows (for which want(text) holds,
-- when given); returns the text typed.
-- An empty string types nothing: it waits for the request Insert mode started with
-- (requests counted from before0).
-- With `manual` (a key), typing must send no request; the key asks for one.
local function type_until_suggestion(typed_list, gap, want, before0, manual)
  local typed = ""
  for i, t in ipairs(typed_list) do
    local before = completion.counters.requests
    if i == 1 and t == "" and before0 then before = before0 end
    for ch in t:gmatch("[%z\1-\127\194-\244][\128-\191]*") do
      type_text(ch)
      typed = typed .. ch
      sleep(gap)
    end
    if manual then
      sleep(400)
      check("no request while typing (auto_trigger = false)", completion.counters.requests == before
            and #marks() == 0, show(completion.counters))
      press(manual)
    end
    -- A streamed preview is not an answer: wait for the final item (or an idle plugin), or a
    -- slow server's reply would be cancelled by the next keystroke every time.
    local ok = wait_for(function()
      local streaming = (infilld.get_suggestion() or {}).streaming
      return (completion.visible() and not streaming)
          or (completion.idle() and completion.counters.requests > before and not streaming)
    end)
    check("the request after typing " .. show(typed) .. " is answered", ok,
          show(completion.counters))
    if completion.visible() and not infilld.get_suggestion().streaming then
      check("an idle plugin once the suggestion shows", wait_for(completion.idle, 2000))
      if not want or want(infilld.get_suggestion().text) then return typed end
    end
  end
  fail("no suggestion after typing " .. show(typed) .. " (every reply empty?) " .. show(completion.counters))
end

---------------------------------------------------------------------------------------

local function body()
  local plugin = getenv("INFILLD_PT_PLUGIN", nil)
  local bin, model = getenv("INFILLD_BIN", nil), getenv("INFILLD_MODEL_DIR", nil)
  check("INFILLD_PT_PLUGIN, INFILLD_BIN and INFILLD_MODEL_DIR are set", plugin and bin and model)
  vim.opt.runtimepath:prepend(plugin)
  vim.cmd("runtime! plugin/infilld.lua")
  local scenario = getenv("INFILLD_PT_SCENARIO", "accept")
  R.scenario = scenario

  -- what the server reports as an error
  for _, m in ipairs({ "window/logMessage", "window/showMessage" }) do
    local default = vim.lsp.handlers[m]
    vim.lsp.handlers[m] = function(err, params, ctx, cfg)
      table.insert(R.server_messages, { method = m, params = params })
      return default(err, params, ctx, cfg)
    end
  end
  api.nvim_create_autocmd("User", { pattern = "InfilldStatus", callback = function()
    local s = require("infilld").statusline()
    if R.statuses[#R.statuses] ~= s then table.insert(R.statuses, s) end
  end })

  vim.lsp.set_log_level(getenv("INFILLD_PT_LOG_LEVEL", "debug"))
  R.lsp_log = vim.lsp.get_log_path()
  local path = getenv("INFILLD_PT_FILE", nil)
  vim.cmd("edit " .. vim.fn.fnameescape(path))
  bufnr = api.nvim_get_current_buf()
  vim.bo[bufnr].indentkeys = ""
  vim.bo[bufnr].cinkeys = ""
  local base = lines()
  R.file_lines = base

  local opts = vim.tbl_extend("force", { bin = bin, model = model, settings = { maxTokens = 16 } },
                              vim.json.decode(getenv("INFILLD_PT_SETUP", "{}")))
  infilld = require("infilld")
  completion = require("infilld.completion")
  ghost = require("infilld.ghost")
  infilld.setup(opts)
  check("the renderer is the plugin's own before 0.12", vim.fn.has("nvim-0.12") == 1 or infilld.renderer == "builtin",
        tostring(infilld.renderer))

  check("the client starts, initializes and attaches", wait_for(function()
    local c = infilld.client(bufnr)
    return c ~= nil and c.initialized
  end))
  client = infilld.client(bufnr)
  R.encoding = client.offset_encoding

  if scenario == "error" then
    -- a model folder that cannot load: the status says so, requests fail, no ghost text
    check("the status says error", wait_for(function() return infilld.statusline() == "infilld: error" end),
          infilld.statusline())
    check("no 'ready' on the way to the error", not vim.tbl_contains(R.statuses, "infilld: ready"),
          show(R.statuses))
    R.status_lines = infilld.status_lines()
    check(":InfilldStatus gives the reason", R.status_lines[1]:find("cannot load", 1, true) ~= nil,
          show(R.status_lines[1]))
    api.nvim_win_set_cursor(0, { 1, #base[1] })
    type_text("A")
    type_text("x")
    check("the request fails", wait_for(function()
      return completion.counters.errors >= 1 and completion.idle()
    end), show(completion.counters))
    check("no ghost text", #marks() == 0, show(marks()))
    check("the error is kept", completion.last_error ~= nil and completion.last_error.code == -32803,
          show(completion.last_error))
    press("<Esc>")
    vim.cmd("checkhealth infilld")
    local text = table.concat(api.nvim_buf_get_lines(0, 0, -1, false), "\n")
    R.health = vim.split(text, "\n")
    check("checkhealth reports the model folder", text:find("ERROR[^\n]*is not a folder") ~= nil, text)
    return finish(true)
  end
  check("the status says ready", wait_for(function() return infilld.statusline() == "infilld: ready" end),
        infilld.statusline())
  local enc = client.offset_encoding
  R.encoding = enc
  check("offset_encoding is the negotiated " .. getenv("INFILLD_PT_ENCODING", "utf-8"),
        enc == getenv("INFILLD_PT_ENCODING", "utf-8"), tostring(enc))
  R.status_lines = infilld.status_lines()

  if scenario == "health" then
    for _, c in ipairs({ "InfilldStatus", "InfilldStats", "InfilldDisable", "InfilldEnable" }) do
      local okc, errc = pcall(vim.cmd, c)
      check(":" .. c .. " runs", okc, tostring(errc))
    end
    local st
    infilld.stats(function(err, result) st = { err = err, result = result } end)
    check("require('infilld').stats() answers", wait_for(function() return st ~= nil end), "")
    check("infilld/stats is a table of counters", st.err == nil and type(st.result) == "table"
          and type(st.result.requests) == "number", show(st))
    vim.cmd("checkhealth infilld")
    local report = api.nvim_buf_get_lines(0, 0, -1, false)
    R.health = report
    local text = table.concat(report, "\n")
    check("checkhealth has no ERROR", not text:find("ERROR"), text)
    for _, want in ipairs({ "Neovim", "runs", model, "renderer", "running: client id" }) do
      check("checkhealth mentions " .. want, text:find(want, 1, true) ~= nil, text)
    end
    return finish(true)
  end

  local row = tonumber(getenv("INFILLD_PT_LINE", "0"))
  local col = tonumber(getenv("INFILLD_PT_COL", "0"))

  if scenario == "render" then
    -- the renderer and the conversions on their own, on the file's typing line
    local util = require("infilld.util")
    local line = base[row + 1]
    local hl = "InfilldSuggestion"
    local after = line:sub(col + 1)
    check("render: the line has text after the cursor", after ~= "", show(line))
    local ts = vim.bo[bufnr].tabstop
    local function only_mark()
      local m = marks()
      check("render: one extmark", #m == 1, show(m))
      check("render: at the position", m[1][2] == row and m[1][3] == col, show(m[1]))
      return m[1][4]
    end
    if vim.fn.has("nvim-0.10") == 0 then
      ghost.show(bufnr, row, col, "one", hl)
      local d = only_mark()
      check("render: one line, mid-line (overlay + the rest of the line)", vim.deep_equal(d.virt_text,
            { { "one", hl }, { after, "Normal" } }) and d.virt_text_pos == "overlay", show(d))
      ghost.show(bufnr, row, col, "a\n\tb\n\nlast", hl)
      d = only_mark()
      local pad = vim.fn.strdisplaywidth(after) - 1
      check("render: multi-line, first line padded over the line's rest", vim.deep_equal(d.virt_text,
            { { "a", hl }, { string.rep(" ", pad), "Normal" } }), show(d.virt_text))
      check("render: virt_lines, tabs expanded, the line's rest after the last",
            vim.deep_equal(d.virt_lines, { { { string.rep(" ", ts) .. "b", hl } }, { { "", hl } },
                                           { { "last", hl }, { after, "Normal" } } }), show(d.virt_lines))
    end
    local eol_row = 0
    local eol_col = #base[1]
    ghost.show(bufnr, eol_row, eol_col, "x y\nz", hl)
    local m = marks()
    check("render: at the end of a line, no copy of the line's rest", #m == 1
          and vim.deep_equal(m[1][4].virt_text, { { "x y", hl } })
          and vim.deep_equal(m[1][4].virt_lines, { { { "z", hl } } }), show(m))
    ghost.clear(bufnr)
    check("render: clear", #marks() == 0, show(marks()))
    -- conversions: "é🙂x" is 2+4+1 bytes, 1+2+1 UTF-16 units, 1+1+1 UTF-32 units
    local s = "\195\169\240\159\153\130x"
    for _, t in ipairs({ { "utf-8", 7, 6, 2 }, { "utf-16", 4, 3, 1 }, { "utf-32", 3, 2, 1 } }) do
      local enc, len, upto_x, upto_smile = t[1], t[2], t[3], t[4]
      check("units " .. enc, util.length(s, enc) == len and util.units(s, 6, enc) == upto_x
            and util.units(s, 2, enc) == upto_smile, enc)
      check("byte_col " .. enc, util.byte_col(s, upto_x, enc) == 6 and util.byte_col(s, upto_smile, enc) == 2
            and util.byte_col(s, len + 5, enc) == 7, enc)
    end
    check("byte_col inside a character is nil", util.byte_col(s, 1, "utf-8") == nil
          and util.byte_col(s, 2, "utf-16") == nil and util.byte_col(s, 3, "utf-8") == nil)
    for _, t in ipairs({ { "foo.bar", "foo", "foo.bar" }, { "  (x)", "  (", "  (x)" }, { "\n  y\nz", "\n  ", "\n  y" },
                         { "ab\ncd", "ab", "ab" }, { "\195\169t\195\169 x", "\195\169t\195\169", "\195\169t\195\169 x" },
                         { "   ", "   ", "   " } }) do
      check("next_word " .. show(t[1]), util.next_word(t[1]) == t[2] and first_word(t[1]) == t[2],
            show(util.next_word(t[1])))
      check("next_line " .. show(t[1]), util.next_line(t[1]) == t[3], show(util.next_line(t[1])))
    end
    return finish(true)
  end
  local typed_list = vim.json.decode(getenv("INFILLD_PT_TYPED", '["x"]'))
  local gap = tonumber(getenv("INFILLD_PT_KEY_GAP_MS", "20"))
  api.nvim_win_set_cursor(0, { row + 1, col })
  local before0 = completion.counters.requests
  type_text(col == #base[row + 1] and "A" or "i")
  check("Insert mode", wait_for(function() return api.nvim_get_mode().mode == "i" end, 5000))

  local typed = type_until_suggestion(typed_list, gap, scenario == "word" and function(text)
    return first_word(text) ~= text
  end or nil, before0, scenario == "trigger" and "<M-\\>" or nil)
  R.typed = typed
  local typed_lines = inserted(base, row, col, typed)
  check("the buffer holds what was typed", vim.deep_equal(lines(), typed_lines), show(lines()[row + 1]))
  local crow, ccol = cursor()
  check("the cursor follows the typed text", crow == row and ccol == col + #typed, show({ crow, ccol }))

  local s = check_ghost("shown", enc)
  local suggestion = s.text
  R.suggestion = suggestion
  R.item = s.item

  if scenario == "accept" or scenario == "cancel" or scenario == "trigger" then
    press("<Tab>")
    local want = inserted(typed_lines, crow, ccol, suggestion)
    check("<Tab> inserts the suggestion", wait_for(function() return vim.deep_equal(lines(), want) end, 5000),
          show(lines()))
    local erow, ecol = end_of(crow, ccol, suggestion)
    local r2, c2 = cursor()
    check("the cursor ends after the suggestion", r2 == erow and c2 == ecol, show({ r2, c2 }))
    check("still in Insert mode", api.nvim_get_mode().mode == "i", api.nvim_get_mode().mode)
    -- any ghost text now is a new suggestion at the new cursor, never the old one
    for _, m in ipairs(marks()) do
      check("no ghost text left behind", m[2] == erow and m[3] == ecol, show(m))
    end
  elseif scenario == "word" then
    local consumed = ""
    local steps = { { "<C-Right>", first_word, "word" }, { "<C-Down>", first_line, "line" },
                    { "<C-Down>", first_line, "line" } }
    for _, st in ipairs(steps) do
      local rest = suggestion:sub(#consumed + 1)
      local part = st[2](rest)
      if part == "" or part == rest then break end
      local r0, c0 = cursor()
      local before = lines()
      local want = inserted(before, r0, c0, part)
      press(st[1])
      check(st[1] .. " inserts the next " .. st[3] .. " " .. show(part),
            wait_for(function() return vim.deep_equal(lines(), want) end, 5000), show(lines()))
      consumed = consumed .. part
      R.partial = R.partial or {}
      table.insert(R.partial, part)
      local er, ec = end_of(r0, c0, part)
      local r1, c1 = cursor()
      check("the cursor after the " .. st[3], r1 == er and c1 == ec, show({ r1, c1 }))
      sleep(3 * (opts.debounce_ms or 100))
      local s2 = check_ghost("after accepting a " .. st[3], enc)
      check("the rest stays as ghost text", s2.text == suggestion:sub(#consumed + 1),
            show(s2.text) .. " vs " .. show(suggestion:sub(#consumed + 1)))
    end
    check("a partial acceptance happened", #consumed > 0, show(suggestion))
    R.consumed = consumed
    press("<Tab>")
    local want = inserted(typed_lines, crow, ccol, suggestion)
    check("<Tab> inserts the rest", wait_for(function() return vim.deep_equal(lines(), want) end, 5000),
          show(lines()))
  elseif scenario == "dismiss" then
    local requests = completion.counters.requests
    press("<C-]>")
    check("<C-]> hides the ghost text", wait_for(function() return #marks() == 0 end, 5000), show(marks()))
    check("<C-]> leaves the buffer as it was", vim.deep_equal(lines(), typed_lines), show(lines()))
    sleep(3 * (opts.debounce_ms or 100) + 200)
    check("no suggestion comes back by itself", #marks() == 0 and completion.counters.requests == requests,
          show(marks()))
    -- without a suggestion, <Tab> does what it does without the plugin (indents)
    local l0 = lines()[crow + 1]
    press("<Tab>")
    check("<Tab> without a suggestion inserts blanks", wait_for(function()
      local l1 = lines()[crow + 1]
      local tail = l0:sub(ccol + 1)
      return #l1 > #l0 and l1:sub(1, ccol) == l0:sub(1, ccol) and l1:sub(#l1 - #tail + 1) == tail
    end, 5000), show(lines()[crow + 1]))
    local l1 = lines()[crow + 1]
    R.fallback_inserted = l1:sub(ccol + 1, ccol + #l1 - #l0)
    check("<Tab> inserted blanks only", R.fallback_inserted:match("^[ \t]+$") ~= nil, show(R.fallback_inserted))
    -- type one more character: a new suggestion; then leave Insert mode
    local more = typed_list[#typed_list]:sub(1, 1)
    if more == "" or more:byte() >= 0x80 then more = "x" end
    local t2 = type_until_suggestion({ more, "y", "z", "w", "v" }, gap)
    R.typed_after_dismiss = t2
    check_ghost("shown again", enc)
    press("<Esc>")
    check("<Esc> leaves Insert mode", wait_for(function() return api.nvim_get_mode().mode == "n" end, 5000))
    check("InsertLeave hides the ghost text", wait_for(function() return #marks() == 0 end, 5000), show(marks()))
    -- Insert mode again: a suggestion at the cursor, then a cursor move dismisses it
    local before = completion.counters.requests
    press("a")
    wait_for(function()
      return completion.visible() or (completion.idle() and completion.counters.requests > before)
    end)
    local shown = completion.visible()
    R.typed_after_insert_enter = ""
    if not shown then
      R.typed_after_insert_enter = type_until_suggestion({ "q", "r", "s", "t", "u" }, gap)
    end
    check_ghost("shown after InsertEnter", enc)
    press("<Left>")
    check("a cursor move hides the ghost text", wait_for(function() return #marks() == 0 end, 5000), show(marks()))
    R.final_lines = lines()
  else
    fail("unknown scenario " .. scenario)
  end

  -- the server's counters: what the plugin reported
  -- leave Insert mode: InsertLeave cancels whatever is still in flight
  press("<Esc>")
  check("Normal mode", wait_for(function() return api.nvim_get_mode().mode == "n" end, 5000))
  check("InsertLeave leaves the plugin idle, no ghost text", wait_for(function()
    return completion.idle() and #marks() == 0
  end, 5000), show(marks()))
  local st = server_request("infilld/stats", nil)
  R.stats = st.result
  local k = st.result or {}
  R.counters = completion.counters
  check("stats.shown >= 1 (didShowCompletion)", (k.shown or 0) >= 1, show(k.shown))
  check("stats.errors == 0", k.errors == 0, show(k.errors))
  if scenario == "accept" or scenario == "cancel" or scenario == "word" or scenario == "trigger" then
    check("stats.accepted == 1 (the item's command)", k.accepted == 1, show(k.accepted))
  end
  if scenario == "word" then
    check("stats.partiallyAccepted counts the partial accepts", k.partiallyAccepted == #R.partial,
          show(k.partiallyAccepted) .. " vs " .. #R.partial)
  end
  if scenario == "cancel" then
    check("the plugin cancelled requests in flight", completion.counters.cancelled >= 1, show(completion.counters))
    check("the server saw them cancelled or superseded", (k.cancelled or 0) + (k.superseded or 0) >= 1, show(k))
  end
  for _, m in ipairs(R.server_messages) do
    check("no error reported by the server", not (type(m.params) == "table" and m.params.type == 1),
          m.method .. ": " .. show(m.params))
  end
  R.buffer = lines()

  -- shutdown
  local exited
  local c = infilld.client()
  local id = c.id
  api.nvim_create_autocmd("User", { pattern = "InfilldStatus", callback = function()
    if not infilld.client() then exited = true end
  end })
  infilld.stop()
  check("the server stops", wait_for(function() return vim.lsp.get_client_by_id(id) == nil or exited end, 10000))
  finish(true)
end

T.run(body, true)
