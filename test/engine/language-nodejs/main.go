// Command pulumi-language-nodejs is a stand-in for Pulumi's Node.js language host that only
// starts local Node policy packs (RunPlugin with kind "analyzer"); programs run inline through
// the Automation API (--client), so nothing else is served.
//
// Why it exists: in v3.276.0 the CLI starts a local pack directory only through the language
// plugin named by PulumiPolicy.yaml's runtime (pkg/resource/plugin/plugin.go ExecPlugin; the
// old pulumi-analyzer-policy shim is gone), and the real host is a separate module
// (sdk/nodejs/cmd/pulumi-language-nodejs) that is not published on the Go module proxy. This
// does what the real host does for packs, with the SDK's exported pieces: node runs
// @pulumi/pulumi/cmd/run-policy-pack with the pack directory as working directory and last
// argument, behind sdk.PolicyProxy, which answers the engine's ConfigureStack and hands the
// stack configuration to the pack as PULUMI_CONFIG / PULUMI_NODEJS_{PROJECT,STACK,...}.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	sdk "github.com/pulumi/pulumi/sdk/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
}

func (host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

// runPolicyPack finds @pulumi/pulumi/cmd/run-policy-pack the way Node resolves it from dir.
func runPolicyPack(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		p := filepath.Join(d, "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack")
		if _, err := os.Stat(filepath.Join(p, "index.js")); err == nil {
			return p, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("@pulumi/pulumi/cmd/run-policy-pack not found from %s; run npm ci", dir)
		}
	}
}

func (host) RunPlugin(req *pulumirpc.RunPluginRequest, srv pulumirpc.LanguageRuntime_RunPluginServer) error {
	if req.Kind != "analyzer" {
		return status.Errorf(codes.Unimplemented, "this test host only runs policy packs, not %q plugins", req.Kind)
	}
	ctx := srv.Context()
	closer, stdout, stderr, err := rpcutil.MakeRunPluginStreams(srv, false)
	if err != nil {
		return err
	}
	defer closer.Close()

	dir := req.Info.ProgramDirectory
	runPath, err := runPolicyPack(dir)
	if err != nil {
		return err
	}
	env := append(req.Env, "PULUMI_NODEJS_TYPESCRIPT=true")
	opts := req.Info.GetOptions().AsMap()
	if t, ok := opts["typescript"].(bool); ok && !t {
		env = env[:len(env)-1]
	}
	if p, ok := opts["tsconfig"].(string); ok && p != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+p)
	}

	proxy, stdout, err := sdk.NewPolicyProxy(ctx, stdout)
	if err != nil {
		return fmt.Errorf("could not start policy pack proxy: %w", err)
	}
	cfg, err := proxy.AwaitConfiguration(ctx)
	if err != nil {
		return fmt.Errorf("could not get stack configuration: %w", err)
	}
	if cfg != nil {
		add := func(k, v string) {
			if v != "" {
				env = append(env, k+"="+v)
			}
		}
		add("PULUMI_NODEJS_ORGANIZATION", cfg.Organization)
		add("PULUMI_NODEJS_PROJECT", cfg.Project)
		add("PULUMI_NODEJS_STACK", cfg.Stack)
		add("PULUMI_NODEJS_DRY_RUN", strconv.FormatBool(cfg.DryRun))
		if cfg.Config != nil {
			b, err := json.Marshal(cfg.Config)
			if err != nil {
				return err
			}
			add("PULUMI_CONFIG", string(b))
		}
	}

	args := append([]string{runPath}, req.Args...)
	cmd := exec.CommandContext(ctx, "node", append(args, dir)...)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, env, stdout, stderr
	if err := cmd.Start(); err != nil {
		proxy.Abort(err)
		return err
	}
	if err := proxy.Attach(ctx, cmd); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return fmt.Errorf("policy pack exited with code %d", exit.ExitCode())
		}
		return fmt.Errorf("could not attach policy pack proxy: %w", err)
	}
	return closer.Close()
}

func main() {
	flag.String("tracing", "", "ignored")
	flag.String("runtime", "nodejs", "ignored")
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *showVersion {
		fmt.Println(version.Version)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	if engine := flag.Arg(0); engine != "" {
		// Exit when the engine goes away, like the real host.
		if err := rpcutil.Healthcheck(ctx, engine, 5*time.Minute, cancel); err != nil {
			cmdutil.Exit(err)
		}
	}
	done := make(chan bool)
	go func() { <-ctx.Done(); close(done) }()
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: done,
		Init: func(s *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(s, host{})
			return nil
		},
	})
	if err != nil {
		cmdutil.Exit(err)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		cmdutil.Exit(err)
	}
}
