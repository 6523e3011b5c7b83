-- docs/man/man.lua - pandoc filter that turns snapmig's Markdown docs into
-- man page sections (used by docs/man/CMakeLists.txt for snapmig(1) and
-- snapmig-plan(5)):
--  * a level-1 heading that is not in capitals (a document's own title)
--    becomes DESCRIPTION; when the input's headings start at level 1 but
--    hold sections at level 2 (docs/plan-format.md), each level below is
--    moved one up and a section heading is put in capitals;
--  * a table becomes a definition list, the man way: the first column is
--    the term, the middle columns follow it as "header: value", the last
--    column is the text;
--  * a link to another document becomes that document's installed path
--    (metadata "docdir" and "examplesdir"), an external link keeps its URL.

local docdir = "/usr/share/doc/snapmig"
local examplesdir = docdir .. "/examples"
local shift = false

local function is_caps(s)
  return s:upper() == s
end

local function meta(m)
  if m.docdir then docdir = pandoc.utils.stringify(m.docdir) end
  if m.examplesdir then examplesdir = pandoc.utils.stringify(m.examplesdir) end
  shift = m.shift_headings ~= nil and pandoc.utils.stringify(m.shift_headings) == "true"
end

local function header(h)
  local text = pandoc.utils.stringify(h.content)
  if h.level == 1 and not is_caps(text) then
    return pandoc.Header(1, {pandoc.Str("DESCRIPTION")})
  end
  if shift and h.level >= 2 then
    if h.level == 2 then
      return pandoc.Header(1, {pandoc.Str(text:upper())})
    end
    return pandoc.Header(h.level - 1, h.content)
  end
  return h
end

-- A cell's inlines.  In a Markdown table a '|' inside code is written '\|';
-- the page shows it plain.
local function cell_inlines(cell)
  local out = pandoc.List()
  for i, b in ipairs(cell.contents) do
    if i > 1 then out:insert(pandoc.Space()) end
    if b.content then out:extend(b.content) end
  end
  return out:map(function(x)
    if x.t == "Code" then
      return pandoc.Code((x.text:gsub("\\|", "|")))
    end
    return x
  end)
end

local function table_to_dl(t)
  local heads = {}
  if #t.head.rows > 0 then
    for i, c in ipairs(t.head.rows[1].cells) do
      heads[i] = pandoc.utils.stringify(c.contents)
    end
  end
  local items = pandoc.List()
  for _, body in ipairs(t.bodies) do
    for _, row in ipairs(body.body) do
      local cells = row.cells
      local n = #cells
      local term = cell_inlines(cells[1])
      local extra = pandoc.List()
      for i = 2, n - 1 do
        local v = cell_inlines(cells[i])
        if pandoc.utils.stringify(v) == "(required)" then
          v = pandoc.List({pandoc.Str("required")})
          if #extra > 0 then extra:extend({pandoc.Str(";"), pandoc.Space()}) end
          extra:extend(v)
        elseif #v > 0 then
          if #extra > 0 then extra:extend({pandoc.Str(";"), pandoc.Space()}) end
          if heads[i] and heads[i] ~= "" then
            extra:extend({pandoc.Str(heads[i] .. ":"), pandoc.Space()})
          end
          extra:extend(v)
        end
      end
      if #extra > 0 then
        term:extend({pandoc.Space(), pandoc.Str("(")})
        term:extend(extra)
        term:insert(pandoc.Str(")"))
      end
      local def = n > 1 and cell_inlines(cells[n]) or pandoc.List()
      items:insert({term, {pandoc.Plain(def)}})
    end
  end
  return pandoc.DefinitionList(items)
end

local function link(l)
  local t = l.target
  if t:match("^%a[%w+.-]*:") then
    return nil -- an absolute URL: the man writer prints it
  end
  t = t:gsub("#.*$", "")
  local name = t:match("^%.%./plans/(.+)$") or t:match("^plans/(.+)$")
  if name then
    return pandoc.Code(examplesdir .. "/" .. name)
  end
  name = t:match("([^/]+%.md)$")
  if name then
    if name == "plan-format.md" then
      return {pandoc.Strong(pandoc.Str("snapmig-plan")), pandoc.Str("(5)")}
    end
    if pandoc.utils.stringify(l.content):match("%.md$") then
      return pandoc.Code(docdir .. "/" .. name)
    end
    local out = pandoc.List(l.content)
    out:extend({pandoc.Space(), pandoc.Str("(" .. docdir .. "/" .. name .. ")")})
    return out
  end
  return l.content
end

return {
  {Meta = meta},
  {Header = header, Table = table_to_dl, Link = link},
}
