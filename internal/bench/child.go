package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"
)

// child is a process of this binary in one of the child roles, driven by
// lines on its stdin and answering with lines on its stdout.
type child struct {
	role  string
	cmd   *exec.Cmd
	in    io.WriteCloser
	lines chan string
	done  chan error
}

// startChild runs `<exe> bench -child role -spec <json>` and waits (up to
// timeout) for its first line, which it returns.
func startChild(exe, role string, spec any, env []string, stderr io.Writer, timeout time.Duration) (*child, string, error) {
	js, err := json.Marshal(spec)
	if err != nil {
		return nil, "", err
	}
	cmd := exec.Command(exe, "bench", "-child", role, "-spec", string(js))
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, "", err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", fmt.Errorf("start %s process: %w", role, err)
	}
	c := &child{role: role, cmd: cmd, in: in, lines: make(chan string, 16), done: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
		close(c.lines)
		c.done <- cmd.Wait()
	}()
	line, err := c.readLine(timeout)
	if err != nil {
		c.kill()
		return nil, "", err
	}
	return c, line, nil
}

func (c *child) pid() int { return c.cmd.Process.Pid }

// readLine returns the child's next line.
func (c *child) readLine(timeout time.Duration) (string, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case l, ok := <-c.lines:
		if !ok {
			return "", fmt.Errorf("%s process exited: %v", c.role, <-c.done)
		}
		if rest, isErr := strings.CutPrefix(l, "err "); isErr {
			return "", fmt.Errorf("%s process: %s", c.role, rest)
		}
		return l, nil
	case <-t.C:
		return "", fmt.Errorf("%s process: no answer within %v", c.role, timeout)
	}
}

// call sends a command line and returns the answer line.
func (c *child) call(line string, timeout time.Duration) (string, error) {
	if _, err := io.WriteString(c.in, line+"\n"); err != nil {
		return "", fmt.Errorf("%s process: %w", c.role, err)
	}
	return c.readLine(timeout)
}

// stop closes the child's stdin (its signal to finish), returns its last
// line if any, and kills it if it has not exited within timeout.
func (c *child) stop(timeout time.Duration) (string, error) {
	_ = c.in.Close()
	t := time.NewTimer(timeout)
	defer t.Stop()
	var last string
	for {
		select {
		case l, ok := <-c.lines:
			if ok {
				last = l
				continue
			}
			select {
			case err := <-c.done:
				return last, err
			case <-t.C:
				c.kill()
				return last, errors.New(c.role + " process did not exit")
			}
		case <-t.C:
			c.kill()
			return last, errors.New(c.role + " process did not exit")
		}
	}
}

func (c *child) kill() { _ = c.cmd.Process.Kill() }

// answer writes one reply line of a child process.
func answer(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, format+"\n", args...)
}

// lineCommands reads command lines from in until EOF or ctx ends, calling
// fn for each; fn's returned line is written to out.
func lineCommands(ctx context.Context, in io.Reader, out io.Writer, fn func(cmd, arg string) string) {
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(in)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case l, ok := <-lines:
			if !ok {
				return
			}
			cmd, arg, _ := strings.Cut(strings.TrimSpace(l), " ")
			answer(out, "%s", fn(cmd, arg))
		}
	}
}
