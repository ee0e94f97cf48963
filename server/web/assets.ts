/**
 * The page's style and its one small script, inline (no build step, no other request). The state is
 * always written as a word as well as a colour; colours keep a contrast of at least 4.5:1 (WCAG AA).
 */

export const STYLE = `
:root{--ready:#1b5e20;--ready-bg:#e8f5e9;--degraded:#6d4c00;--degraded-bg:#fff4d6;--blocked:#b71c1c;--blocked-bg:#fdecea;--offline:#37474f;--offline-bg:#e6eaec;--fg:#1a1a1a;--muted:#555}
*{box-sizing:border-box}
body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:var(--fg);background:#fafafa}
a{color:inherit}
a:focus-visible{outline:3px solid #1565c0;outline-offset:2px}
.top{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1rem;padding:.6rem 1rem;background:#0d47a1;color:#fff}
.top h1{font-size:1.15rem;margin:0;flex:1 1 auto}.top h1 a{text-decoration:none}
.top nav a{color:#fff;font-weight:600}
.live{margin:0;font-size:.85rem}#live-dot{color:#ffeb3b}#live-dot.on{color:#a5d6a7}#live-dot.off{color:#ef9a9a}
main{padding:.75rem 1rem;max-width:1200px;margin:0 auto}
.summary{display:flex;flex-wrap:wrap;gap:.5rem;margin:.25rem 0 .5rem}
.chip{padding:.2rem .6rem;border-radius:1rem;font-weight:600}
.updated{color:var(--muted);font-size:.85rem;margin:0 0 .5rem}
.province{content-visibility:auto;contain-intrinsic-size:auto 12rem}
.attention h2{font-size:1.05rem;margin:.5rem 0 .4rem}.attention h2 small{font-weight:400;color:var(--muted)}
.province h2{font-size:1.05rem;margin:1rem 0 .4rem}.province h2 small{font-weight:400;color:var(--muted)}
.tiles{list-style:none;margin:0;padding:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:.5rem}
.tile a{display:flex;flex-direction:column;gap:.15rem;padding:.55rem .7rem;border-radius:.4rem;border-left:.45rem solid;text-decoration:none;min-height:4.2rem}
.tile .name{font-weight:600}.tile .state{font-size:.85rem;font-weight:700;text-transform:uppercase;letter-spacing:.02em}
.tile .reason{font-size:.9rem}
.uptime{position:relative;display:block;height:1.1rem;background:rgba(0,0,0,.08);border-radius:.2rem;margin-top:.2rem;font-size:.75rem}
.uptime .bar{position:absolute;left:0;top:0;bottom:0;background:rgba(0,0,0,.22);border-radius:.2rem}
.uptime .pct{position:relative;padding-left:.3rem}
.s-ready a,.chip.s-ready,.center.s-ready{color:var(--ready);background:var(--ready-bg);border-color:var(--ready)}
.s-degraded a,.chip.s-degraded,.center.s-degraded{color:var(--degraded);background:var(--degraded-bg);border-color:var(--degraded)}
.s-blocked a,.chip.s-blocked,.center.s-blocked{color:var(--blocked);background:var(--blocked-bg);border-color:var(--blocked)}
.s-offline a,.chip.s-offline,.center.s-offline{color:var(--offline);background:var(--offline-bg);border-color:var(--offline)}
.center{padding:.75rem 1rem;border-radius:.5rem;border-left:.6rem solid}
.center .big{font-size:1.6rem;font-weight:800;margin:.2rem 0}
.days{list-style:none;display:flex;gap:2px;align-items:flex-end;height:3rem;padding:0;margin:.5rem 0}
.day{flex:1;height:100%;background:rgba(0,0,0,.08);position:relative;min-width:4px}.day.off{background:transparent;border-bottom:2px solid rgba(0,0,0,.15)}
.day .fill{position:absolute;left:0;right:0;bottom:0;background:currentColor;opacity:.6}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
table{border-collapse:collapse;width:100%;max-width:640px}th,td{text-align:left;padding:.3rem .4rem;border-bottom:1px solid #ddd}th small{color:var(--muted);font-weight:400}
.st.up{color:var(--ready);font-weight:600}.st.down{color:var(--blocked);font-weight:700}.st.degraded{color:var(--degraded);font-weight:700}
.sev-critical{color:var(--blocked)}.sev-warning{color:var(--degraded)}
@media (max-width:480px){main{padding:.5rem}.tiles{grid-template-columns:1fr}}
${percentClasses()}
`;

/** `.w-0`…`.w-100` and `.h-0`…`.h-100`: bar lengths as classes, as the Content-Security-Policy allows no style attributes. */
function percentClasses(): string {
  return Array.from({ length: 101 }, (_, i) => `.w-${i}{width:${i}%}.h-${i}{height:${i}%}`).join('');
}

/**
 * Live updates: the server sends a `readiness` event when a center changes state; the tile (and the
 * counts) change in place. On a center's page the page content is fetched again. Text goes in through
 * textContent only, never as HTML.
 */
export const CLIENT_SCRIPT = `(function(){
var data=JSON.parse(document.getElementById('cw-data').textContent);
var dot=document.getElementById('live-dot');
if(!window.EventSource)return;
var es=new EventSource('/api/v1/events');
es.onopen=function(){dot.className='on'};
es.onerror=function(){dot.className='off'};
es.addEventListener('readiness',function(ev){
var e=JSON.parse(ev.data);
if(data.page==='center'){
if(e.center!==data.center)return;
fetch(location.href,{credentials:'same-origin'}).then(function(r){return r.text()}).then(function(html){
var doc=new DOMParser().parseFromString(html,'text/html');var m=doc.getElementById('main');if(m)document.getElementById('main').replaceWith(m);});
return;}
var sel='li.tile[data-center="'+CSS.escape(e.center)+'"]';
var all=document.querySelectorAll(sel);
if(!all.length)return;
var m=/s-(\\w+)/.exec(all[0].className);var before=m?m[1]:'';
all.forEach(function(li){
li.className='tile s-'+e.state;
li.querySelector('.state').textContent=data.words[e.state];
var r=li.querySelector('.reason');
if(e.state==='ready'){if(r)r.remove();}
else{if(!r){r=document.createElement('span');r.className='reason';li.querySelector('.state').after(r);}
r.textContent=(e.reason?e.reason[data.lang]+' ':'')+e.since[data.lang];}
});
var att=document.getElementById('attention');
if(att){var inAtt=att.querySelector(sel);
if(e.state==='ready'&&inAtt)inAtt.remove();
else if(e.state!=='ready'&&!inAtt)att.prepend(all[0].cloneNode(true));
var cnt=document.getElementById('attention-count');if(cnt)cnt.textContent=String(att.children.length);}
if(before!==e.state){
var a=document.querySelector('.n[data-state="'+before+'"]'),b=document.querySelector('.n[data-state="'+e.state+'"]');
if(a)a.textContent=String(Number(a.textContent)-1);if(b)b.textContent=String(Number(b.textContent)+1);}
});
})();`;
