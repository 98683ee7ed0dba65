// The layers of mounted overlays, as mountinfo's super options name them, and the dirs that must
// not change while one is mounted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { layerPlaces, overlayLayerUse } from '../../src/host/mounts/overlay-layers.js';
import { layerPaths } from '../../src/host/mounts/overlay-options.js';
import { parseMountinfo, type MountEntry } from '../../src/host/mounts/mountinfo.js';

const overlay = (mountPoint: string, superOptions: string): MountEntry => ({
  id: 90,
  parentId: 1,
  major: 0,
  minor: 50,
  root: '/',
  mountPoint,
  options: 'rw,relatime',
  optionalFields: [],
  fsType: 'overlay',
  source: 'isoswarm-apt-cache',
  superOptions,
});

// Paths that do not exist here: each is its own real path.
test('layerPlaces: every lower dir (data-only ones too), the upper and the work dir', () => {
  const o = overlay('/m/x/merged', 'rw,lowerdir=/a:/b/c::/d,upperdir=/u/upper,workdir=/u/work,uuid=null');
  assert.deepEqual(layerPlaces(o), { paths: ['/a', '/b/c', '/d', '/u/upper', '/u/work'], unplaced: [] });
  assert.deepEqual(layerPlaces(overlay('/m', 'rw,relatime')), { paths: [], unplaced: [] });
});

test("layerPlaces: the new mount API's lowerdir+ and datadir+, each as written", () => {
  const o = overlay(
    '/m/y/merged',
    'rw,lowerdir+=/l1,lowerdir+=/l\\2,datadir+=/dd,upperdir=/u/up,workdir=/u/wk,metacopy=on',
  );
  assert.deepEqual(layerPlaces(o).paths, ['/l1', '/l\\2', '/dd', '/u/up', '/u/wk']);
});

test('layerPlaces: ".." is resolved, and a layer whose end is gone keeps the real path of the rest', () => {
  const o = overlay('/m/z/merged', 'rw,lowerdir=/nowhere/x/../lower,upperdir=/u/up2,workdir=/u/wk2');
  assert.ok(layerPlaces(o).paths.includes('/nowhere/lower'));
  assert.match(overlayLayerUse([o], '/nowhere/lower') ?? '', /is a layer of the overlay mounted at \/m\/z\/merged/);
});

test('a relative layer found nowhere is matched by its components anywhere', () => {
  const o = overlay('/nowhere/x/merged', 'rw,lowerdir=../lower/l1,upperdir=/nowhere/u/upper,workdir=/nowhere/u/work');
  assert.deepEqual(layerPlaces(o).unplaced, [['lower', 'l1']]);
  assert.ok(overlayLayerUse([o], '/srv/a/lower/l1'), 'the layer, wherever it is');
  assert.ok(overlayLayerUse([o], '/srv/a/lower/l1/sub'), 'a dir inside it');
  assert.equal(overlayLayerUse([o], '/srv/a/lower/l2'), null, 'another name');
});

test('overlayLayerUse: a layer at, under or around the path refuses; beside it does not', () => {
  const m = [
    overlay(
      '/srv/c/var/cache/apt/archives',
      'rw,lowerdir=/var/cache/apt-c,upperdir=/st/o/1/upper,workdir=/st/o/1/work',
    ),
  ];
  assert.match(overlayLayerUse(m, '/var/cache/apt-c') ?? '', /apt-c is a layer of the overlay mounted at \/srv\/c/);
  assert.ok(overlayLayerUse(m, '/var/cache'), 'a dir around a layer');
  assert.ok(overlayLayerUse(m, '/st/o/1/upper/x'), 'a dir inside a layer');
  assert.equal(overlayLayerUse(m, '/var/cache/apt-cache2'), null, 'a sibling by name prefix');
  assert.equal(overlayLayerUse([{ ...m[0]!, fsType: 'ext4' }], '/var/cache/apt-c'), null, 'not an overlay');
});

// As this kernel (6.18) showed it for lowerdir="/t/lo w", upperdir="/t/u\,p", workdir="/t/w\:k".
test('layerPlaces: a space, an escaped comma and an escaped colon in layer paths', () => {
  const line =
    '44 27 0:39 / /t/m rw,relatime - overlay overlay rw,lowerdir=/t/lo\\040w,upperdir=/t/u\\134\\054p,workdir=/t/w\\134:k,uuid=on';
  const [m] = parseMountinfo(line);
  assert.deepEqual(layerPlaces(m!).paths, ['/t/lo w', '/t/u,p', '/t/w:k']);
  assert.ok(overlayLayerUse([m!], '/t/u,p'), 'the upper dir, found by its real name');
});

test('layerPaths: ":" splits a list unless escaped; "\\" escapes any character', () => {
  assert.deepEqual(layerPaths('/a:/b\\:c:/d\\\\e', true), ['/a', '/b:c', '/d\\e']);
  assert.deepEqual(layerPaths('/u\\:x', false), ['/u:x']);
  assert.deepEqual(layerPaths('/a::/data', true), ['/a', '', '/data']);
});
