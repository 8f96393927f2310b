#!/usr/bin/env python3
"""Summarise heaptrack_print output (demangled): allocations by phase (pipeline = under OfflineAnalysis.run,
json = report rendering) and the top allocation sites of the pipeline.  heaptrack_sites.py N < heaptrack.txt"""
import sys,re
txt=sys.stdin.read()
sec=txt.split('MOST CALLS TO ALLOCATION FUNCTIONS')[1].split('PEAK MEMORY CONSUMERS')[0]
blocks=re.split(r'\n(?=\d+ calls with)',sec)
rows=[]
for b in blocks:
    m=re.match(r'(\d+) calls with',b)
    if not m: continue
    frames=[l.strip() for l in b.split('\n')[1:] if l.startswith('    ') and not l.strip().startswith(('in ','at '))]
    frames=[f for f in frames if not f.startswith(('swift_allocObject','swift_slowAlloc','_allocateStringStorage','_StringGuts','specialized _ContiguousArrayBuffer','_ContiguousArrayBuffer','swift_','specialized Array','Array.','specialized String','String.'))]
    phase='analysis' if any('OfflineAnalysis.run' in f for f in frames) else ('json' if any('JSONDocument' in f for f in frames) else 'other')
    rows.append((int(m.group(1)),phase,' < '.join(frames[:3])))
tot={}
for n,p,_ in rows: tot[p]=tot.get(p,0)+n
print('allocations by phase:',tot)
for n,p,f in sorted(rows,reverse=True)[:int(sys.argv[1])]:
    if p=='analysis': print(f'{n:8d}  {f[:200]}')
